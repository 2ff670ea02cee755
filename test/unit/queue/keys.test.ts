import { QueueUsageError } from '../../../lib/queue/errors';
import { messageKeys, queueKeys } from '../../../lib/queue/redis/keys';

/** Redis Cluster's key slot (CRC16/XMODEM of the hash tag, or of the whole key without one). */
function slot(key: string): number {
  const open = key.indexOf('{');
  const close = open >= 0 ? key.indexOf('}', open + 1) : -1;
  const hashed = close > open + 1 ? key.slice(open + 1, close) : key;
  let crc = 0;
  for (const byte of Buffer.from(hashed)) {
    crc ^= byte << 8;
    for (let bit = 0; bit < 8; bit += 1) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
  }
  return crc % 16384;
}

describe('queueKeys', () => {
  it('should name every key of a queue with the queue as hash tag, and the legacy list as the bare name', () => {
    const keys = queueKeys('pending');

    expect(keys).toEqual({
      legacy: 'pending',
      staging: '{pending}:staging',
      ready: '{pending}:ready',
      inflight: '{pending}:inflight',
      leases: '{pending}:leases',
      delayed: '{pending}:delayed',
      dead: '{pending}:dead',
      seq: '{pending}:seq',
      signal: '{pending}:signal',
    });
  });

  it.each(['pending', 'donations', 'payments-init', 'contribution-tracking', 'a.b:c_d'])('should put every key of %s in one cluster slot', (queue) => {
    const slots = new Set(Object.values(queueKeys(queue)).map(slot));

    expect(slots.size).toBe(1);
  });

  it.each(['', 'has{brace}', 'has space', 'x'.repeat(201)])('should reject the queue name %j', (queue) => {
    expect(() => queueKeys(queue)).toThrow(QueueUsageError);
  });

  it('should list the keys that hold messages, leaving out the id counter', () => {
    const keys = queueKeys('q');

    expect(messageKeys(keys)).not.toContain(keys.seq);
    expect(messageKeys(keys)).toHaveLength(7);
  });
});
