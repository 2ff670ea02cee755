/** lib/queue/redis/rate-counter.ts: what each queue script's call adds to its queue's rates (SCRIPT_RATES). */
import { luaScripts } from '../../../lib/queue/redis/lua';
import { SCRIPT_RATES } from '../../../lib/queue/redis/rate-counter';

describe('SCRIPT_RATES', () => {
  it('should say for every Lua script whether it counts', () => {
    expect(Object.keys(SCRIPT_RATES).sort()).toEqual(Object.keys(luaScripts).sort());
  });

  it('should count what a push stored and what a redrive moved as pushed', () => {
    expect(SCRIPT_RATES['push-10']).toMatchObject({ field: 'pushed' });
    expect(SCRIPT_RATES['push-10']!.count([1, '', 0, 100, 0, 'Sa', 'Sb', 'Sc'], 2)).toBe(2);
    expect(SCRIPT_RATES['redrive-5']).toMatchObject({ field: 'pushed' });
    expect(SCRIPT_RATES['redrive-5']!.count([10], 4)).toBe(4);
  });

  it('should count the current receipts of every ack path as acked, leaving stale ones out', () => {
    // ack-5: call, done, receipts
    expect(SCRIPT_RATES['ack-5']!.count([1, '', 'r1', 'r2', 'r3'], ['r2'])).toBe(2);
    // lease-12: call, done, max, prefetch, visibility, prefetch lease, max receives, bound, claims (2), the claims, the acks (3)
    expect(SCRIPT_RATES['lease-12']!.count([1, '', 1, 0, 30000, 500, 5, 100, 2, 'c1', 'c2', 'a1', 'a2', 'a3'], [['a3'], [], 0])).toBe(2);
    // partition-ack-6: call, done, consumer id, token, receipts; fenced: every receipt stale
    expect(SCRIPT_RATES['partition-ack-6']!.count([1, '', 'me', '3', 'r1', 'r2'], [])).toBe(2);
    expect(SCRIPT_RATES['partition-ack-6']!.count([1, '', 'me', '3', 'r1', 'r2'], ['r1', 'r2'])).toBe(0);
    // partition-lease-13: call, done, consumer id, token, max, visibility, max receives, bound, the acks (2); replies [status, leased, stale]
    expect(SCRIPT_RATES['partition-lease-13']!.count([1, '', 'me', '3', 1, 30000, 5, 1000, 'a1', 'a2'], ['ok', [], ['a2']])).toBe(1);
    expect(SCRIPT_RATES['partition-lease-13']!.count([1, '', 'me', '3', 1, 30000, 5, 1000, 'a1', 'a2'], ['fenced', [], ['a1', 'a2']])).toBe(0);
    for (const name of ['ack-5', 'lease-12', 'partition-ack-6', 'partition-lease-13'] as const) expect(SCRIPT_RATES[name]!.field).toBe('acked');
  });

  it('should count nothing for scripts that neither store nor settle messages', () => {
    expect(Object.entries(SCRIPT_RATES).filter(([, rate]) => rate === null).map(([name]) => name).sort()).toEqual(
      ['dead-delete-1', 'extend-1', 'partition-members-1', 'partition-owner-2', 'peek-5', 'probe-6', 'release-7', 'stats-8'],
    );
  });
});
