import { readFileSync } from 'node:fs';
import path from 'node:path';
import { cutoverConfig } from '../../../lib/cutover/config';
import { xorChecksum } from '../../../lib/cutover/ledger';
import { readLegacyMessage } from '../../../lib/cutover/legacy-message';
import { normalisePendingMessage } from '../../../lib/pending/normalise-message';
import { pendingMessageKey } from '../../../lib/pending/pending-store';

const fixture = (name: string) => JSON.parse(readFileSync(path.resolve(__dirname, '../../../fixtures/cutover', name), 'utf8')) as { body: Record<string, unknown> };

describe('readLegacyMessage', () => {
  it('should give a legacy pending message with old key names the identity the pending table gives its normalised form', () => {
    const legacy = fixture('activemq-pending.json').body;

    const read = readLegacyMessage(JSON.stringify(legacy), 'pending');

    expect(read).toMatchObject({ ok: true, body: legacy });
    expect(read.ok && read.hash).toBe(pendingMessageKey(normalisePendingMessage(legacy)));
  });

  it('should give the same message the same hash whatever source fields it carries', () => {
    const legacy = fixture('activemq-payments-init.json').body;

    const a = readLegacyMessage(JSON.stringify(legacy), 'payments-init');
    const b = readLegacyMessage(JSON.stringify({ ...legacy, source_host: 'payments1009', source_enqueued_time: 1 }), 'payments-init');

    expect(a.ok && b.ok && a.hash === b.hash).toBe(true);
  });

  it('should fill what the channel kept beside the message only where the message lacks it', () => {
    const read = readLegacyMessage('{"order_id":"1.1","gateway":"adyen","date":""}', 'pending', { gateway: 'globalcollect', date: 1732712744 });

    expect(read).toMatchObject({ ok: true, body: { order_id: '1.1', gateway: 'adyen', date: 1732712744 } });
  });

  it('should refuse text that is not a JSON object, and a message its consumer would refuse, naming the rule and no value', () => {
    const notJson = readLegacyMessage('{"gateway":"adyen",', 'pending');
    const noOrder = readLegacyMessage('{"gateway":"adyen","date":1732712744,"email":"donor@example.org"}', 'pending');

    expect(notJson).toMatchObject({ ok: false, error: { name: 'MalformedMessageError', message: 'legacy message is not a JSON object' } });
    expect(noOrder).toMatchObject({ ok: false, error: { message: expect.stringContaining('order_id and gateway_txn_id are both missing') } });
    expect(noOrder.ok || noOrder.error.message).not.toContain('donor@example.org');
  });
});

describe('xorChecksum', () => {
  it('should not depend on the order of the hashes, and give zeros for none', () => {
    const a = 'a'.repeat(64);
    const b = '0123456789abcdef'.repeat(4);

    expect(xorChecksum([a, b])).toBe(xorChecksum([b, a]));
    expect(xorChecksum([a, b])).not.toBe(xorChecksum([a]));
    expect(xorChecksum([])).toBe('0'.repeat(64));
  });
});

describe('cutoverConfig', () => {
  it('should read legacy:target channel pairs and name a bad one without its value', () => {
    expect(cutoverConfig({ CUTOVER_CHANNELS: 'pending:pending, donations:donations-v2' }).CUTOVER_CHANNELS).toEqual([
      { legacy: 'pending', target: 'pending' },
      { legacy: 'donations', target: 'donations-v2' },
    ]);
    expect(() => cutoverConfig({ CUTOVER_CHANNELS: 'pending', CUTOVER_STOMP_URL: 'http://broker:61613', CUTOVER_STOMP_PASSCODE: 'hunter2' })).toThrow(
      /CUTOVER_STOMP_URL: must be a URL with scheme stomp or tcp[\s\S]*CUTOVER_CHANNELS: must be legacy:target queue pairs/,
    );
  });
});
