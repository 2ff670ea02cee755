import { QueueUsageError } from '../../../lib/queue/errors';
import { clusterSlot as slot, messageKeys, queueKeys, repliesKey } from '../../../lib/queue/redis/keys';

describe('queueKeys', () => {
  it('should name every key of a queue with the queue as hash tag, and the legacy list as the bare name', () => {
    const keys = queueKeys('pending');

    expect(keys).toEqual({
      legacy: 'pending',
      staging: '{pending}:staging',
      ready: '{pending}:ready',
      due: '{pending}:due',
      inflight: '{pending}:inflight',
      leases: '{pending}:leases',
      prefetched: '{pending}:prefetched',
      ages: '{pending}:ages',
      dead: '{pending}:dead',
      seq: '{pending}:seq',
      clock: '{pending}:clock',
      signal: '{pending}:signal',
      pushed: '{pending}:pushed',
    });
  });

  it.each(['pending', 'donations', 'payments-init', 'contribution-tracking', 'a.b:c_d', 'donations#3'])('should put every key of %s in one cluster slot', (queue) => {
    const slots = new Set(Object.values(queueKeys(queue)).map(slot));

    expect(slots.size).toBe(1);
  });

  it.each(['', 'has{brace}', 'has space', 'x'.repeat(201)])('should reject the queue name %j', (queue) => {
    expect(() => queueKeys(queue)).toThrow(QueueUsageError);
  });

  it('should list the keys that hold messages, leaving out the id counter and the clock', () => {
    const keys = queueKeys('q');

    expect(messageKeys(keys)).not.toContain(keys.seq);
    expect(messageKeys(keys)).not.toContain(keys.clock);
    expect(messageKeys(keys)).toHaveLength(9);
  });

  it('should put a session reply cache in the queue slot', () => {
    expect(slot(repliesKey('pending', 'abc123'))).toBe(slot(queueKeys('pending').ready));
  });
});

describe('clusterSlot', () => {
  it('should match the slots Redis Cluster computes', () => {
    // Values from CLUSTER KEYSLOT on a Redis 7 server.
    expect(slot('foo')).toBe(12182);
    expect(slot('bar')).toBe(5061);
    expect(slot('{user1000}.following')).toBe(slot('user1000'));
    expect(slot('foo{}{bar}')).toBe(8363);
  });
});
