/**
 * messageHash is stored (pending.message_key, the tracking log's hashes): its bytes must never
 * change, however it is computed. These values were computed by the first implementation.
 */
import { messageHash } from '../../lib/content-hash';

describe('messageHash', () => {
  it('should give the stored identity of a flat message, leaving out the source fields', () => {
    const message = { gateway: 'adyen', order_id: '1.1', date: 1700000000, gross: '10.00', source_name: 'x', source_enqueued_time: 5 };

    expect(messageHash(message)).toBe('d16c570a7adb5050e10976fd4808560d934e1c57904c090da9868e85cd6e7993');
  });

  it('should sort keys at every level and leave out undefined values and the ignored top-level keys', () => {
    const message = { b: { z: 1, a: [3, { y: null, x: 'é"\\\n' }], m: undefined }, a: true, pending_id: 7, u: undefined, n: -0.5e-7 };

    expect(messageHash(message, ['pending_id'])).toBe('bd767afafb1fb96e1891756dfcb611a27f53a4150cc8981b859726b6e4a257c5');
  });

  it('should hash an empty message and keys that need escaping as before', () => {
    expect(messageHash({})).toBe('44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a');
    expect(messageHash({ list: [undefined, null, [], {}], 'k"ey': 'v', '😀': '\u2028' })).toBe('74e9ae50e7a8f28903e1f2bc80d4087e807adaac260c7b71ea7110d35e55c625');
  });

  it('should not depend on the order in which keys were added', () => {
    expect(messageHash({ a: 1, b: { c: 2, d: 3 } })).toBe(messageHash({ b: { d: 3, c: 2 }, a: 1 }));
  });
});
