/**
 * Per-minute counts of a Redis queue's traffic, for the console's rates chart
 * (docs/architecture.md §10): messages the queue accepted (`pushed`: counted after the push script
 * stored them) and messages acked (`acked`: settled by a consumer, whether processed or sent to
 * `damaged`; stale receipts are not counted). Kept in one hash per queue and UTC minute,
 * `{q}:rate:<unix minute>`, in the queue's own slot, expiring after RATE_MINUTES_KEPT minutes.
 *
 * Counted by the backend itself, in every process that pushes or acks, so the chart covers every
 * producer and consumer rather than the functions that remember to report. Counts are summed in
 * memory and written once a second (one pipeline per queue, never an extra call per message): a
 * process that dies loses at most its last second, and a Lambda frozen between invocations writes
 * its last second on the next one. The minute is the one in which the operation completed.
 */
import type { Cluster, Redis } from 'ioredis';
import { createLogger } from '../../log';
import type { QueueRates } from '../types';
import { rateKey } from './keys';

/** Minutes of history Redis keeps. */
export const RATE_MINUTES_KEPT = 120;


type Field = 'pushed' | 'acked';

const log = createLogger({ component: 'queue-rates' });

export class RateCounter {
  private pending = new Map<string, Map<number, Record<Field, number>>>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly redis: Redis | Cluster,
    private readonly flushMs = 1000,
    private readonly now: () => number = Date.now,
  ) {}

  /** Adds `n` to the queue's current minute; written within `flushMs`. */
  count(queue: string, field: Field, n: number): void {
    if (n <= 0) return;
    const minute = Math.floor(this.now() / 60_000);
    let minutes = this.pending.get(queue);
    if (!minutes) this.pending.set(queue, (minutes = new Map()));
    const counts = minutes.get(minute) ?? { pushed: 0, acked: 0 };
    counts[field] += n;
    minutes.set(minute, counts);
    if (!this.timer) {
      this.timer = setTimeout(() => void this.flush(), this.flushMs);
      this.timer.unref();
    }
  }

  /** Writes what was counted; a Redis failure loses those counts (logged), never fails the queue operation. */
  async flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    const pending = this.pending;
    this.pending = new Map();
    await Promise.all(
      [...pending].map(async ([queue, minutes]) => {
        // One queue's keys share its slot: one pipeline per queue works on a Cluster too.
        const pipeline = this.redis.pipeline();
        for (const [minute, counts] of minutes) {
          const key = rateKey(queue, minute);
          if (counts.pushed > 0) pipeline.hincrby(key, 'pushed', counts.pushed);
          if (counts.acked > 0) pipeline.hincrby(key, 'acked', counts.acked);
          pipeline.expire(key, RATE_MINUTES_KEPT * 60);
        }
        try {
          await pipeline.exec();
        } catch (error) {
          log.warn({ queue, err: (error as Error).message }, 'queue rate counts not written');
        }
      }),
    );
  }

  /** The last `minutes` minutes of `queue` up to the current one, as written so far. */
  async read(queue: string, minutes: number): Promise<QueueRates> {
    const current = Math.floor(this.now() / 60_000);
    const first = current - minutes + 1;
    const pipeline = this.redis.pipeline();
    for (let m = first; m <= current; m++) pipeline.hmget(rateKey(queue, m), 'pushed', 'acked');
    const replies = (await pipeline.exec()) ?? [];
    const pushed: number[] = [];
    const acked: number[] = [];
    for (const [error, values] of replies) {
      if (error) throw error;
      const [p, a] = values as [string | null, string | null];
      pushed.push(Number(p ?? 0));
      acked.push(Number(a ?? 0));
    }
    return { start: new Date(first * 60_000), pushed, acked };
  }
}
