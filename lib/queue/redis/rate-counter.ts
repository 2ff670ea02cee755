/**
 * Per-minute counts of a Redis queue's traffic, for the console's rates chart
 * (docs/architecture.md §10): messages the queue accepted (`pushed`: counted after the push script
 * stored them) and messages acked (`acked`: settled by a consumer, whether processed or sent to
 * `damaged`; stale receipts are not counted). Kept in one hash per queue and UTC minute,
 * `{q}:rate:<unix minute>`, in the queue's own slot, expiring after RATE_MINUTES_KEPT minutes.
 *
 * Counted where every queue script runs (`runQueueScript`, ./scripts.ts), from the table below
 * that says what each script's call adds: pushes, redrives of dead letters (the queue takes the
 * messages in again), acks, the acks a lease carries and the fenced acks of partitioned consumers
 * (lib/queue/partitions). So no path that stores or settles messages can skip the count, and a new
 * script must say whether it counts (the table is exhaustive). Counted in every process that pushes
 * or acks, so the chart covers every producer and consumer rather than the functions that remember
 * to report. Counts are summed in memory, in one counter per Redis client (the backend and the
 * partition scripts over one client share it), and written once a second (one pipeline per queue,
 * never an extra call per message): a process that dies loses at most its last second, and a
 * Lambda frozen between invocations writes its last second on the next one. The minute is the one
 * in which the operation completed.
 */
import type { Cluster, Redis } from 'ioredis';
import { createLogger } from '../../log';
import type { QueueRates } from '../types';
import { rateKey } from './keys';
import type { LuaScriptName } from './lua';

/** Minutes of history Redis keeps. */
export const RATE_MINUTES_KEPT = 120;


type Field = 'pushed' | 'acked';

/** What one call of a script adds to its queue's rates, from the call's ARGV and its reply. */
export interface ScriptRate {
  field: Field;
  count(argv: ReadonlyArray<string | number>, reply: unknown): number;
}

/** Stale receipts a settling script answered (its reply, or the first element of it). */
const staleCount = (reply: unknown) => (Array.isArray(reply) ? reply.length : 0);

/**
 * Every queue script, with what its call counts (null: it neither stores nor settles messages).
 * The ARGV offsets are the scripts' headers' (lib/queue/redis/lua): the call number and the
 * session's received calls come first in the scripts that keep a reply cache.
 */
export const SCRIPT_RATES: Record<LuaScriptName, ScriptRate | null> = {
  // Replies how many it stored (an idempotent push seen before stores nothing).
  'push-10': { field: 'pushed', count: (_argv, stored) => Number(stored) },
  // Replies how many dead letters it moved back into the queue.
  'redrive-5': { field: 'pushed', count: (_argv, moved) => Number(moved) },
  // ARGV[3..n] receipts; replies the stale ones.
  'ack-5': { field: 'acked', count: (argv, stale) => argv.length - 2 - staleCount(stale) },
  // ARGV[9] the number of claims, then the claims, then the acks; replies [stale, leased, more].
  'lease-12': { field: 'acked', count: (argv, reply) => argv.length - 9 - Number(argv[8]) - staleCount((reply as unknown[])[0]) },
  // ARGV[5..n] receipts after consumer id and token; replies the stale ones (all when fenced).
  'partition-ack-6': { field: 'acked', count: (argv, stale) => argv.length - 4 - staleCount(stale) },
  // ARGV[9..n] the previous batch's acks; replies [status, leased, stale].
  'partition-lease-13': { field: 'acked', count: (argv, reply) => argv.length - 8 - staleCount((reply as unknown[])[2]) },
  'partition-members-1': null,
  'partition-owner-2': null,
  'dead-delete-1': null,
  'extend-1': null,
  'peek-5': null,
  'probe-6': null,
  'release-7': null,
  'stats-8': null,
};

const log = createLogger({ component: 'queue-rates' });

const counters = new WeakMap<Redis | Cluster, RateCounter>();

export class RateCounter {
  /** The counter of `redis`, shared by everything that runs queue scripts over that client. */
  static of(redis: Redis | Cluster): RateCounter {
    let counter = counters.get(redis);
    if (!counter) counters.set(redis, (counter = new RateCounter(redis)));
    return counter;
  }

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

  /** Counts what one call of script `name` on `queue` did, from its ARGV and reply. */
  countScript(queue: string, name: LuaScriptName, argv: ReadonlyArray<string | number>, reply: unknown): void {
    const rate = SCRIPT_RATES[name];
    if (rate) this.count(queue, rate.field, rate.count(argv, reply));
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
