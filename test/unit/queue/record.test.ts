import { decodeRecord, encodeRecord, receiptMessageId } from '../../../lib/queue/redis/record';

describe('queue records', () => {
  it('should round-trip a record whose body contains the separator, newlines and Unicode', () => {
    const record = { id: '123', enqueuedAt: 1700000000123, receiveCount: 2, body: '{"a":"x|y|z","b":"Zoë\\n🎗️"}' };

    expect(encodeRecord(record)).toBe('123|1700000000123|2|{"a":"x|y|z","b":"Zoë\\n🎗️"}');
    expect(decodeRecord(encodeRecord(record))).toEqual(record);
  });

  it('should decode what the Lua scripts write, an empty body included', () => {
    expect(decodeRecord('7|1700000000000|0|')).toEqual({ id: '7', enqueuedAt: 1700000000000, receiveCount: 0, body: '' });
  });

  it.each(['', 'no separators', '1|2|body', 'x|1|0|{}', '1|y|0|{}'])('should reject the corrupt record %j', (raw) => {
    expect(() => decodeRecord(raw)).toThrow('corrupt queue record');
  });

  it('should read the message id from a receipt and refuse malformed receipts', () => {
    expect(receiptMessageId('42:3:1700000000123456:1700000000123')).toBe('42');
    expect(receiptMessageId('42')).toBeUndefined();
    expect(receiptMessageId('x:1:2')).toBeUndefined();
  });
});
