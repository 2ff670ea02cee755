/**
 * The bound of a scheduled run: every job (a consumer, expiry of pending rows, the orphan
 * rectifier, collect-dead-letters) stops after so many items or so many seconds, so that it
 * ends well inside its Lambda timeout and the next scheduled run picks up where it left off.
 * The limits are checked here, in one place, and a run says why it stopped in one vocabulary.
 *
 * A limit of 0 means "no limit" (as in configuration, see `env.limit` in lib/config.ts).
 */

/**
 * Why a bounded run ended; every job's result uses these words:
 * - `empty`: nothing was left to do (the queue was empty, no rows were left);
 * - `message-limit`, `row-limit`: the count limit was reached (messages for queue jobs, rows for
 *   table jobs, so that the word matches the setting's name);
 * - `time-limit`: the time limit was reached;
 * - `younger-row`: the rectifier met a row too young to rectify (all later ones are younger).
 */
export type StoppedBecause = 'empty' | 'message-limit' | 'row-limit' | 'time-limit' | 'younger-row';

/** The two ways a budget runs out: its count limit, named by the caller, or its time limit. */
export type CountLimitReason = Extract<StoppedBecause, 'message-limit' | 'row-limit'>;

export interface RunBudgetLimits<C extends CountLimitReason> {
  /** Items (messages, rows) the run may handle; 0: no limit. */
  count: number;
  /** The word for a reached count limit. */
  countLimit: C;
  /** Milliseconds the run may take; 0: no limit. */
  timeMs: number;
  /** The clock, epoch ms (tests). */
  now?: () => number;
}

/**
 * The limits of one run and the time it started. Callers keep their own count of what they
 * did and ask the budget before each step: a step never starts past a limit, and never takes
 * more items than the count limit has left.
 */
export class RunBudget<C extends CountLimitReason> {
  private readonly now: () => number;
  private readonly started: number;

  constructor(private readonly limits: RunBudgetLimits<C>) {
    for (const [name, value] of [['count', limits.count], ['timeMs', limits.timeMs]] as const) {
      if (!(value >= 0)) throw new RangeError(`run budget ${name} must be a number of at least 0 (0 means no limit)`);
    }
    this.now = limits.now ?? Date.now;
    this.started = this.now();
  }

  /** True when a limit bounds the run: only then may a job wait for work instead of stopping. */
  get bounded(): boolean {
    return this.limits.count > 0 || this.limits.timeMs > 0;
  }

  /**
   * Why the run must stop before its next step, given `done` items so far; null while it may
   * go on. The count limit is checked first: a run that did all it was allowed to did not run
   * out of time.
   */
  exhausted(done: number): C | 'time-limit' | null {
    if (this.limits.count > 0 && done >= this.limits.count) return this.limits.countLimit;
    if (this.limits.timeMs > 0 && this.remainingMs() <= 0) return 'time-limit';
    return null;
  }

  /** How many items the next step may take: `batch`, or fewer when the count limit is near. */
  nextBatch(done: number, batch: number): number {
    return this.limits.count > 0 ? Math.max(0, Math.min(batch, this.limits.count - done)) : batch;
  }

  /** Milliseconds left before the time limit (negative once past it); Infinity without one. */
  remainingMs(): number {
    return this.limits.timeMs > 0 ? this.limits.timeMs - this.elapsedMs() : Infinity;
  }

  /** Milliseconds since the budget was made (for the run's log line). */
  elapsedMs(): number {
    return this.now() - this.started;
  }
}
