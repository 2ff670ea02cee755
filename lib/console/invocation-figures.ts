/**
 * Every function's per-invocation figures where the console can read them (docs/architecture.md
 * §10): the shared handler runtime records each invocation here, beside its CloudWatch document
 * (lib/runtime/invocation-metrics.ts), on every stage including local runs; `/console/metrics`
 * renders them as Prometheus counters and a duration histogram (./metrics.ts). The console sees
 * queues, tables and Kafka, not Lambda: without this it could not count invocations.
 *
 * Key layout, all in one hash slot per stage (`{invocations:<stage>}`), so that one invocation's
 * writes are one pipeline on a Cluster too:
 *
 * - `{invocations:<stage>}:fn:<function>` hash, running totals since the key was created:
 *   `invocations`, `errors`, `duration_ms` (sum, whole ms), one field per message count
 *   (`processed`, `failed`, `damaged`, `retry_scheduled`, `dropped`, `dead_lettered`) and
 *   `duration_le_<ms>` per histogram bucket (invocations whose duration fell in that bucket and
 *   no lower one; `duration_le_inf` above the last bound);
 * - `{invocations:<stage>}:functions` sorted set, function -> its last invocation (ms).
 *
 * Totals, not per-minute counts: Prometheus counters must only grow (its `rate()` makes the
 * per-minute figures, and copes with a reset), and a sum over expiring minutes would fall. Both
 * keys expire `keptDays` after the last write, so a function no longer deployed disappears; one
 * that is quiet longer than that starts from 0 again, which Prometheus reads as a counter reset.
 */
import type { Cluster, Redis } from 'ioredis';
import type { Invocation, InvocationCounts } from '../job';

/** Upper bounds (ms) of the duration histogram's buckets: from an HTTP request to a 5-minute rectifier run. */
export const DURATION_BUCKETS_MS = [10, 50, 100, 250, 500, 1000, 2500, 5000, 10_000, 30_000, 60_000, 120_000, 300_000] as const;

/** The hash fields of the message counts, by InvocationCounts key. */
export const COUNT_FIELDS: Record<keyof InvocationCounts, string> = {
  processed: 'processed',
  failed: 'failed',
  damaged: 'damaged',
  retryScheduled: 'retry_scheduled',
  dropped: 'dropped',
  deadLettered: 'dead_lettered',
};

/** The sorted set of the stage's functions, by last invocation. */
export function invocationFunctionsKey(stage: string): string {
  return `{invocations:${stage}}:functions`;
}

/** The totals hash of one function on `stage`. */
export function invocationTotalsKey(stage: string, fn: string): string {
  return `{invocations:${stage}}:fn:${fn}`;
}

/** The hash field of the histogram bucket a duration falls in. */
function bucketField(durationMs: number): string {
  const bound = DURATION_BUCKETS_MS.find((b) => durationMs <= b);
  return bound === undefined ? 'duration_le_inf' : `duration_le_${bound}`;
}

/**
 * Adds one invocation of `fn` to its totals: one pipeline (one round trip), whose failure is the
 * caller's to swallow. `keptDays` is how long the keys live after this write.
 */
export async function recordInvocation(redis: Redis | Cluster, stage: string, fn: string, { durationMs, failed, counts }: Invocation, keptDays: number, now = Date.now()): Promise<void> {
  const totals = invocationTotalsKey(stage, fn);
  const functions = invocationFunctionsKey(stage);
  const keptSeconds = keptDays * 86_400;
  const pipeline = redis.pipeline();
  pipeline.hincrby(totals, 'invocations', 1);
  if (failed) pipeline.hincrby(totals, 'errors', 1);
  pipeline.hincrby(totals, 'duration_ms', Math.max(0, Math.round(durationMs)));
  pipeline.hincrby(totals, bucketField(durationMs), 1);
  for (const [key, value] of Object.entries(counts) as Array<[keyof InvocationCounts, number]>) {
    if (value > 0) pipeline.hincrby(totals, COUNT_FIELDS[key], value);
  }
  pipeline.expire(totals, keptSeconds);
  pipeline.zadd(functions, now, fn);
  // Functions whose totals have expired leave the set too, so that the reader finds only live ones.
  pipeline.zremrangebyscore(functions, '-inf', now - keptSeconds * 1000);
  pipeline.expire(functions, keptSeconds);
  const replies = (await pipeline.exec()) ?? [];
  const failure = replies.find(([error]) => error)?.[0];
  if (failure) throw failure;
}

/** One function's totals as recorded. */
export interface FunctionInvocationFigures {
  function: string;
  invocations: number;
  errors: number;
  durationMsSum: number;
  /** Invocations per bucket of DURATION_BUCKETS_MS (not cumulative), then the ones above the last bound. */
  durationBuckets: number[];
  counts: Required<InvocationCounts>;
}

/** Reads the stage's functions' totals, ordered by name; a function whose totals expired is left out. */
export type InvocationFiguresReader = () => Promise<FunctionInvocationFigures[]>;

/** The totals of every function recorded on `stage` (two round trips). */
export async function readInvocationFigures(redis: Redis | Cluster, stage: string): Promise<FunctionInvocationFigures[]> {
  const names = (await redis.zrange(invocationFunctionsKey(stage), 0, -1)).sort();
  if (names.length === 0) return [];
  const pipeline = redis.pipeline();
  for (const fn of names) pipeline.hgetall(invocationTotalsKey(stage, fn));
  const replies = (await pipeline.exec()) ?? [];
  const figures: FunctionInvocationFigures[] = [];
  names.forEach((fn, i) => {
    const [error, hash] = replies[i] ?? [];
    if (error) throw error;
    const fields = (hash ?? {}) as Record<string, string>;
    const n = (field: string) => Number(fields[field] ?? 0);
    if (n('invocations') === 0) return;
    figures.push({
      function: fn,
      invocations: n('invocations'),
      errors: n('errors'),
      durationMsSum: n('duration_ms'),
      durationBuckets: [...DURATION_BUCKETS_MS.map((b) => n(`duration_le_${b}`)), n('duration_le_inf')],
      counts: Object.fromEntries(Object.entries(COUNT_FIELDS).map(([key, field]) => [key, n(field)])) as Required<InvocationCounts>,
    });
  });
  return figures;
}
