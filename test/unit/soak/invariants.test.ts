/**
 * Each soak invariant check against a run that keeps it and against the same run broken on
 * purpose: the check must pass the first and fail the second, naming what is wrong.
 */
import { messageKey } from '../../../scripts/soak/delivery-log';
import {
  checkCellsEqual,
  checkDamaged,
  checkMemoryFlat,
  checkOrders,
  checkProcessedAtLeastOnce,
  checkTracking,
  type MemorySample,
  type OrderExpectation,
} from '../../../scripts/soak/invariants';
import { expectedCells, generateBannerEvents } from '../../../scripts/traffic/impression-events';

const MB = 1024 * 1024;

describe('checkProcessedAtLeastOnce', () => {
  const pushed = ['a', 'b', 'c', 'd'];

  it('should pass when every pushed message was processed and the duplicates stay within the leases in flight at faults', () => {
    // Arrange
    const processed = new Map([['a', 1], ['b', 2], ['c', 1], ['d', 2]]);

    // Act
    const result = checkProcessedAtLeastOnce('pending', pushed, processed, 2);

    // Assert
    expect(result.ok).toBe(true);
    expect(result.figure).toBe('4 pushed, 4 processed, 2 duplicates ≤ 2 leases in flight at faults');
  });

  it('should fail when a consumer acked a message without processing it', () => {
    // Arrange: "c" was acked, so it is gone from the queue, but never reached the store.
    const processed = new Map([['a', 1], ['b', 1], ['d', 1]]);

    // Act
    const result = checkProcessedAtLeastOnce('pending', pushed, processed, 0);

    // Assert
    expect(result.ok).toBe(false);
    expect(result.problems).toEqual(['message c was pushed and never processed']);
  });

  it('should fail when there are more duplicates than leases were in flight at the faults', () => {
    // Arrange: a batch processed twice with no fault to explain it.
    const processed = new Map([['a', 2], ['b', 2], ['c', 1], ['d', 1]]);

    // Act
    const result = checkProcessedAtLeastOnce('pending', pushed, processed, 1);

    // Assert
    expect(result.ok).toBe(false);
    expect(result.problems).toEqual(['2 duplicate processings, more than the 1 leases in flight at the faults']);
  });
});

describe('checkCellsEqual', () => {
  const events = generateBannerEvents({ count: 2000, partitions: 4, seed: 11, minutes: 3 });
  const expected = expectedCells(events, 100);

  it('should pass when the table equals the independent aggregate cell by cell', () => {
    // Act
    const result = checkCellsEqual('bannerimpressions', expected, new Map(expected));

    // Assert
    expect(result.ok).toBe(true);
    expect(result.figure).toContain(`${expected.size} cells expected, ${expected.size} in the table, 0 differ`);
  });

  it('should fail when a batch was counted twice', () => {
    // Arrange: the loader applied the first 100 events' counts a second time.
    const actual = new Map(expected);
    for (const [key, count] of expectedCells(events.slice(0, 100), 100)) actual.set(key, actual.get(key)! + count);

    // Act
    const result = checkCellsEqual('bannerimpressions', expected, actual);

    // Assert
    const twice = expectedCells(events.slice(0, 100), 100).size;
    expect(result.ok).toBe(false);
    expect(result.figure).toContain(`${expected.size} cells expected, ${expected.size} in the table, ${twice} differ`);
    expect(result.problems).toHaveLength(5);
  });

  it('should fail when a batch was lost', () => {
    // Arrange
    const actual = expectedCells(events.slice(100), 100);

    // Act
    const result = checkCellsEqual('bannerimpressions', expected, actual);

    // Assert
    expect(result.ok).toBe(false);
  });
});

describe('checkTracking', () => {
  it('should pass when the log holds every message and the summary equals the rebuild', () => {
    // Act
    const result = checkTracking(['h1', 'h2'], new Set(['h1', 'h2']), { ids: 2, differing: [] });

    // Assert
    expect(result).toEqual({ name: expect.any(String), ok: true, figure: '2 messages, 2 in the log; 2 ids rebuilt, 0 differ', problems: [] });
  });

  it('should fail when a message is missing from the event log', () => {
    // Act
    const result = checkTracking(['h1', 'h2'], new Set(['h1']), { ids: 1, differing: [] });

    // Assert
    expect(result.ok).toBe(false);
    expect(result.problems).toEqual(['tracking message h2 is not in the event log']);
  });

  it('should fail when the summary differs from the rebuild', () => {
    // Act
    const result = checkTracking(['h1'], new Set(['h1']), { ids: 1, differing: [42] });

    // Assert
    expect(result.ok).toBe(false);
    expect(result.problems).toEqual(['summary differs from the rebuild for tracking ids 42 (1 in all)']);
  });
});

describe('checkOrders', () => {
  const orders: OrderExpectation[] = [
    { order: 'adyen|1.1', expect: 'settled' },
    { order: 'ingenico|2.1', expect: 'rectified', donations: 1 },
    { order: 'paypal_ec|3.1', expect: 'rectified', donations: 0 },
    { order: 'adyen|4.1', expect: 'failed' },
    { order: 'astropay|5.1', expect: 'pending', reason: 'donor not back' },
  ];
  const kept = {
    pendingRows: new Map([['astropay|5.1', 1]]),
    settled: new Map([['adyen|1.1', 1]]),
    donations: new Map([['ingenico|2.1', { pushes: 1, transactions: 1 }]]),
    repeatedPushesAllowed: 0,
  };

  it('should pass when every order is settled exactly once or still pending for its reason', () => {
    // Act
    const result = checkOrders(orders, kept);

    // Assert
    expect(result.ok).toBe(true);
    expect(result.figure).toBe('1 settled by completion, 2 settled by the rectifier (0 donations pushed again ≤ 0 after faults), 1 cleared by a failed outcome, 1 still pending (1 donor not back)');
  });

  it('should fail when the rectifier settled an orphan\'s payment twice', () => {
    // Act: two donations with two different processor transactions: the money moved twice.
    const result = checkOrders(orders, { ...kept, donations: new Map([['ingenico|2.1', { pushes: 2, transactions: 2 }]]), repeatedPushesAllowed: 5 });

    // Assert
    expect(result.ok).toBe(false);
    expect(result.problems).toEqual(['order ingenico|2.1: an orphan, but 2 payments pushed as donations (expected 1) and 0 pending rows left']);
  });

  it('should fail when one payment was pushed again more often than the faults that stopped a rectifier explain', () => {
    // Act
    const result = checkOrders(orders, { ...kept, donations: new Map([['ingenico|2.1', { pushes: 3, transactions: 1 }]]), repeatedPushesAllowed: 1 });

    // Assert
    expect(result.ok).toBe(false);
    expect(result.problems).toEqual(['2 donations pushed again for a payment already pushed, more than the 1 the faults that stopped a rectifier can explain']);
  });

  it('should fail when a completed order keeps its pending rows, or a pending one lost them', () => {
    // Act
    const result = checkOrders(orders, { ...kept, pendingRows: new Map([['adyen|1.1', 1]]) });

    // Assert
    expect(result.ok).toBe(false);
    expect(result.problems).toEqual([
      'order adyen|1.1: completed by the frontend, but settled 1 times with 1 pending rows left',
      'order astropay|5.1: expected still pending (donor not back), but 0 pending rows and 0 donations',
    ]);
  });

  it('should fail when a failed payment leaves its pending rows behind', () => {
    // Act
    const result = checkOrders(orders, { ...kept, pendingRows: new Map([['astropay|5.1', 1], ['adyen|4.1', 1]]) });

    // Assert
    expect(result.ok).toBe(false);
    expect(result.problems).toEqual(['order adyen|4.1: its payment failed, but 1 pending rows left, settled 0 times, 0 donations']);
  });
});

describe('checkDamaged', () => {
  const truncated = '{"gateway":"adyen","order_id":"7.1","gross":"5.0';
  const malformed = JSON.stringify({ contribution_tracking_id: '8', gross: '5.00' });
  const bad = [
    { key: messageKey(truncated), queue: 'pending', raw: truncated },
    { key: messageKey(malformed), queue: 'pending', raw: malformed },
  ];
  // What the consumer stored: the JSON one with the queue's source fields, the other as received.
  const stamped = JSON.stringify({ ...JSON.parse(malformed), source_name: 'soak', source_enqueued_time: 1 });
  const rows = [
    { key: messageKey(truncated), queue: 'pending', raw: truncated },
    { key: messageKey(stamped), queue: 'pending', raw: stamped },
  ];

  it('should pass when damaged holds exactly the bad messages, the raw one as sent', () => {
    // Act
    const result = checkDamaged(bad, rows);

    // Assert
    expect(result.ok).toBe(true);
    expect(result.figure).toBe('2 sent bad, 2 rows (0 repeated after faults), 0 unexpected');
  });

  it('should fail when a good message ended in damaged', () => {
    // Arrange
    const good = JSON.stringify({ gateway: 'adyen', order_id: '9.1' });

    // Act
    const result = checkDamaged(bad, [...rows, { key: messageKey(good), queue: 'pending', raw: good, error: 'DatabaseRejectedError: write pending batch: the database refused the statement (ER_EXAMPLE)' }]);

    // Assert
    expect(result.ok).toBe(false);
    expect(result.problems).toEqual([
      `damaged holds a pending message that was not sent bad (${messageKey(good).slice(0, 16)}): DatabaseRejectedError: write pending batch: the database refused the statement (ER_EXAMPLE)`,
    ]);
  });

  it('should fail when a bad message is missing, or its raw body was not kept as sent', () => {
    // Arrange: the raw body was trimmed on the way; a trimmed body has another key, so it counts as missing and unexpected.
    const trimmed = truncated.slice(0, -1);

    // Act
    const result = checkDamaged(bad, [{ key: messageKey(trimmed), queue: 'pending', raw: trimmed }, rows[1]!]);

    // Assert
    expect(result.ok).toBe(false);
    expect(result.problems).toEqual([
      `bad pending message ${messageKey(truncated).slice(0, 16)} is not in damaged`,
      `damaged holds a pending message that was not sent bad (${messageKey(trimmed).slice(0, 16)})`,
    ]);
  });
});

describe('checkMemoryFlat', () => {
  const window = { fromMs: 300_000, toMs: 600_000 };
  const life = (bytesAt: (ms: number) => number, fromMs = 0): MemorySample[] =>
    Array.from({ length: (600_000 - fromMs) / 2000 + 1 }, (_, i) => ({ atMs: fromMs + i * 2000, bytes: bytesAt(fromMs + i * 2000) }));

  it('should pass a process whose memory saw-tooths around a level after a warm-up', () => {
    // Arrange: grows 60 MB while warming up, then garbage collection keeps it around 120 MB.
    const samples = life((ms) => (ms < 30_000 ? 60 * MB + ms * 2000 : 120 * MB + ((ms / 2000) % 5) * 2 * MB));

    // Act
    const result = checkMemoryFlat('consume-pending', [samples], window);

    // Assert
    expect(result.ok).toBe(true);
  });

  it('should fail a process that leaks', () => {
    // Arrange: 10 MB more every minute, 50 MB over the second half of five minutes.
    const samples = life((ms) => 100 * MB + (ms / 60_000) * 10 * MB);

    // Act
    const result = checkMemoryFlat('consume-pending', [samples], window);

    // Assert
    expect(result.ok).toBe(false);
    expect(result.problems).toEqual(['consume-pending grew 50.0 MB over the second half (median 175.0 MB; at most 35.0 MB: 20% of the median or 8.0 MB, at most 64.0 MB)']);
  });

  it('should judge each life of a restarted process on its own, leaving out its warm-up', () => {
    // Arrange: killed at 400 s; each life warms up from 50 MB to 120 MB within 30 s, then stays.
    const warmUp = (start: number) => (ms: number) => (ms - start < 30_000 ? 50 * MB + (ms - start) * 2400 : 120 * MB);
    const first = life(warmUp(0)).filter((s) => s.atMs < 400_000);
    const second = life(warmUp(402_000), 402_000);

    // Act
    const result = checkMemoryFlat('consume-pending', [first, second], window);

    // Assert
    expect(result.ok).toBe(true);
    expect(result.figure).toContain('2 lives judged');
  });

  it('should pass a process restarted in the second half whose heap takes two minutes to reach its working size', () => {
    // Arrange: started again at 350 s, RSS climbs 60 MB towards its working size of 120 MB (time constant 60 s).
    const second = life((ms) => 120 * MB - 60 * MB * Math.exp(-(ms - 350_000) / 60_000), 350_000);

    // Act
    const result = checkMemoryFlat('rectify-orphans', [second], window);

    // Assert
    expect(result.ok).toBe(true);
  });

  it('should pass a flat process with a few samples far above the rest, and fail the same process when it leaks', () => {
    // Arrange: 3 MB, with a burst of 20 MB more over the last 16 s (client buffers of a large reply).
    const spike = (ms: number) => (ms > 584_000 ? 20 * MB : 0);
    const flat = life((ms) => 3 * MB + spike(ms));
    // 100 bytes a millisecond: 28.6 MB over the 300 s of the second half.
    const leaking = life((ms) => 3 * MB + spike(ms) + (ms - 300_000) * 100);

    // Act
    const results = [checkMemoryFlat('redis', [flat], window), checkMemoryFlat('redis', [leaking], window)];

    // Assert
    expect(results.map((r) => r.ok)).toEqual([true, false]);
    expect(results[1]!.problems[0]).toMatch(/^redis grew 28\.6 MB over the second half/);
  });

  it('should skip the check, saying why, when the second half of the run is too short to show a trend', () => {
    // Act
    const result = checkMemoryFlat('consume-pending', [life(() => 100 * MB)], { fromMs: 60_000, toMs: 120_000 });

    // Assert
    expect(result).toMatchObject({ ok: true, skipped: 'not judged: the second half of the run lasted 60 s, a trend needs 240 s', problems: [] });
  });

  it('should fail when no life has enough samples to be judged', () => {
    // Act
    const result = checkMemoryFlat('redis', [[{ atMs: 310_000, bytes: MB }]], window);

    // Assert
    expect(result.ok).toBe(false);
    expect(result.problems).toEqual(['redis: no life of the process has 15 samples in the second half after its warm-up']);
  });
});

describe('checkMemoryFlat with the messages held', () => {
  const window = { fromMs: 300_000, toMs: 600_000 };
  const samples = (bytesAt: (ms: number, held: number) => number) =>
    Array.from({ length: 151 }, (_, i) => {
      const atMs = 300_000 + i * 2000;
      const held = 10_000 + i * 200 + (i % 7) * 500;
      return { atMs, held, bytes: bytesAt(atMs, held) };
    });

  it('should pass Redis whose memory grows only with its backlog', () => {
    // Arrange: 1 kB per message held on a 2 MB base.
    const redis = samples((_, held) => 2 * MB + held * 1024);

    // Act
    const result = checkMemoryFlat('redis', [redis], window);

    // Assert
    expect(result.ok).toBe(true);
  });

  it('should fail Redis whose memory grows beyond what it holds', () => {
    // Arrange: the same, and 1 MB more every 10 s that no message explains (18 MB over the 180 s after the warm-up).
    const redis = samples((ms, held) => 2 * MB + held * 1024 + ((ms - 300_000) / 10_000) * MB);

    // Act
    const result = checkMemoryFlat('redis', [redis], window);

    // Assert
    expect(result.ok).toBe(false);
    expect(result.problems[0]).toMatch(/^redis grew 18\.0 MB over the second half/);
  });
});
