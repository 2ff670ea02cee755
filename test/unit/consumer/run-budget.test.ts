import { RunBudget } from '../../../lib/consumer/run-budget';

/** A clock that moves only when told. */
function manualClock(start = 1_000_000) {
  let now = start;
  return { now: () => now, advance: (ms: number) => void (now += ms) };
}

describe('RunBudget', () => {
  it('should let a run without limits go on whatever it did and however long it took', () => {
    const clock = manualClock();
    const budget = new RunBudget({ count: 0, countLimit: 'message-limit', timeMs: 0, now: clock.now });

    clock.advance(86_400_000);

    expect(budget.exhausted(1_000_000)).toBeNull();
    expect(budget.bounded).toBe(false);
    expect(budget.remainingMs()).toBe(Infinity);
    expect(budget.nextBatch(1_000_000, 25)).toBe(25);
  });

  it('should stop with the caller\'s word for the count limit once that many items are done', () => {
    const budget = new RunBudget({ count: 3, countLimit: 'row-limit', timeMs: 0 });

    const before = budget.exhausted(2);
    const at = budget.exhausted(3);

    expect(before).toBeNull();
    expect(at).toBe('row-limit');
  });

  it('should stop with time-limit once the time is spent, not before', () => {
    const clock = manualClock();
    const budget = new RunBudget({ count: 0, countLimit: 'message-limit', timeMs: 500, now: clock.now });

    clock.advance(499);
    const early = budget.exhausted(0);
    const left = budget.remainingMs();
    clock.advance(1);
    const late = budget.exhausted(0);

    expect(early).toBeNull();
    expect(left).toBe(1);
    expect(late).toBe('time-limit');
    expect(budget.elapsedMs()).toBe(500);
  });

  it('should report the count limit rather than the time limit when both are reached', () => {
    const clock = manualClock();
    const budget = new RunBudget({ count: 10, countLimit: 'message-limit', timeMs: 100, now: clock.now });

    clock.advance(200);

    expect(budget.exhausted(10)).toBe('message-limit');
    expect(budget.exhausted(9)).toBe('time-limit');
  });

  it('should shrink the next batch to what the count limit has left', () => {
    const budget = new RunBudget({ count: 7, countLimit: 'message-limit', timeMs: 0 });

    const sizes = [0, 5, 6, 7].map((done) => budget.nextBatch(done, 5));

    expect(sizes).toEqual([5, 2, 1, 0]);
    expect(budget.bounded).toBe(true);
  });

  it('should refuse a negative or non-numeric limit', () => {
    expect(() => new RunBudget({ count: -1, countLimit: 'row-limit', timeMs: 0 })).toThrow(RangeError);
    expect(() => new RunBudget({ count: 0, countLimit: 'row-limit', timeMs: Number.NaN })).toThrow('timeMs');
  });
});
