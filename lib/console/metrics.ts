/**
 * The console's figures in the Prometheus text exposition format (version 0.0.4), for a scraper
 * or a quick `curl`: queue counts and oldest age (QueueBackend.stats), damaged rows per original
 * queue, unresolved pending rows per gateway and age bucket, the impressions loader's lag, and
 * every function's invocations as the handler runtime recorded them (./invocation-figures.ts):
 * the same figures as its CloudWatch metrics, as counters and a duration histogram. The same
 * calls as the pages, so the figures agree with what an operator sees.
 *
 * Rendered here rather than with prom-client: that library keeps a registry of the process's own
 * metrics, while these are read from Redis and the database at each scrape; its custom collectors
 * would add a dependency and a global registry for what is a few lines of text.
 */
import { count, desc } from 'drizzle-orm';
import type { Db } from '../db/client';
import { damaged } from '../db/schema';
import type { ImpressionsLag } from '../impressions/lag';
import type { InvocationCounts } from '../job';
import { DURATION_BUCKETS_MS, type FunctionInvocationFigures } from './invocation-figures';
import { PENDING_AGE_BUCKETS, type PendingGatewayAges } from './pending-view';
import type { QueueOverview } from './queues';

/** Damaged rows per original queue, most first. */
export async function damagedCounts(db: Db): Promise<Record<string, number>> {
  const rows = await db.select({ queue: damaged.originalQueue, rows: count() }).from(damaged).groupBy(damaged.originalQueue).orderBy(desc(count()));
  return Object.fromEntries(rows.map((r) => [r.queue, Number(r.rows)]));
}

/** A label value as the format wants it: backslash, double quote and newline escaped. */
function label(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

/** The per-invocation message counts as counter families, by InvocationCounts key (the CloudWatch metric in the help). */
const INVOCATION_COUNTERS: Record<keyof InvocationCounts, [name: string, help: string]> = {
  processed: ['buffer_function_processed_messages_total', 'Messages an invocation reported processed (CloudWatch Processed), by function.'],
  failed: ['buffer_function_failed_messages_total', "Records an SQS invocation reported failed in its partial batch response (CloudWatch Failed), by function."],
  damaged: ['buffer_function_damaged_messages_total', 'Messages an invocation sent to the damaged table (CloudWatch Damaged), by function.'],
  retryScheduled: ['buffer_function_retry_scheduled_messages_total', 'Messages an invocation scheduled for a retry (CloudWatch RetryScheduled), by function.'],
  dropped: ['buffer_function_dropped_messages_total', 'Messages an invocation dropped by rule (CloudWatch Dropped), by function.'],
  deadLettered: ['buffer_function_dead_lettered_messages_total', 'Dead letters an invocation moved into the damaged table (CloudWatch DeadLettered), by function.'],
};

/** A label set as the format writes it, `{k="v",...}`, or nothing. */
function labels(set: Record<string, string>): string {
  const text = Object.entries(set).map(([k, v]) => `${k}="${label(v)}"`).join(',');
  return text ? `{${text}}` : '';
}

/**
 * The figures as Prometheus text; a queue whose stats failed reports `buffer_queue_up 0`, and
 * invocation figures that could not be read `buffer_invocation_figures_up 0`.
 */
export function prometheusText(
  queues: QueueOverview[],
  damagedByQueue: Record<string, number>,
  pending: PendingGatewayAges[],
  lag: ImpressionsLag,
  invocations: FunctionInvocationFigures[] | { error: string } = [],
): string {
  const lines: string[] = [];
  const family = (name: string, help: string, samples: Array<[Record<string, string>, number]>, type: 'gauge' | 'counter' = 'gauge') => {
    lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
    for (const [set, value] of samples) lines.push(`${name}${labels(set)} ${value}`);
  };
  family('buffer_queue_up', 'Whether the queue\'s figures could be read (1) or not (0).', queues.map((q) => [{ queue: q.queue }, q.stats ? 1 : 0]));
  const ok = queues.filter((q) => q.stats);
  family('buffer_queue_messages', 'Messages a queue holds, by state.', ok.flatMap((q) => (['ready', 'inFlight', 'delayed', 'dead'] as const).map((state): [Record<string, string>, number] => [{ queue: q.queue, state: state === 'inFlight' ? 'in_flight' : state }, q.stats![state]])));
  family(
    'buffer_queue_oldest_age_seconds',
    'Age of the oldest message not yet acked; absent where the backend cannot tell (SQS).',
    ok.filter((q) => q.stats!.oldestAgeSeconds !== null).map((q) => [{ queue: q.queue }, q.stats!.oldestAgeSeconds!]),
  );
  family('buffer_damaged_rows', 'Rows of the damaged table, by original queue.', Object.entries(damagedByQueue).map(([queue, n]) => [{ queue }, n]));
  family(
    'buffer_pending_unresolved_rows',
    'Unresolved pending rows, by gateway and age bucket.',
    pending.flatMap((g) => g.buckets.map((n, i): [Record<string, string>, number] => [{ gateway: g.gateway, age: PENDING_AGE_BUCKETS[i]!.label }, n])),
  );
  family(
    'buffer_impressions_lag_events',
    'Events Kafka holds that the impressions loader has not applied, by topic and partition; absent where unknown.',
    lag.partitions.filter((p) => p.lag !== null).map((p) => [{ topic: p.topic, partition: String(p.partition) }, p.lag!]),
  );
  const functions = Array.isArray(invocations) ? invocations : [];
  family('buffer_invocation_figures_up', "Whether the functions' invocation figures could be read from Redis (1) or not (0).", [[{}, Array.isArray(invocations) ? 1 : 0]]);
  family('buffer_function_invocations_total', 'Invocations of each function, as the handler runtime recorded them (CloudWatch Invocations).', functions.map((f) => [{ function: f.function }, f.invocations]), 'counter');
  family('buffer_function_errors_total', 'Invocations that threw (CloudWatch Errors), by function.', functions.map((f) => [{ function: f.function }, f.errors]), 'counter');
  for (const [key, [name, help]] of Object.entries(INVOCATION_COUNTERS) as Array<[keyof InvocationCounts, [string, string]]>) {
    family(name, help, functions.map((f) => [{ function: f.function }, f.counts[key]]), 'counter');
  }
  const histogram = 'buffer_function_duration_seconds';
  lines.push(`# HELP ${histogram} How long each invocation ran (CloudWatch Duration), by function.`, `# TYPE ${histogram} histogram`);
  for (const f of functions) {
    let cumulative = 0;
    DURATION_BUCKETS_MS.forEach((bound, i) => {
      cumulative += f.durationBuckets[i] ?? 0;
      lines.push(`${histogram}_bucket${labels({ function: f.function, le: String(bound / 1000) })} ${cumulative}`);
    });
    lines.push(
      `${histogram}_bucket${labels({ function: f.function, le: '+Inf' })} ${f.invocations}`,
      `${histogram}_sum${labels({ function: f.function })} ${f.durationMsSum / 1000}`,
      `${histogram}_count${labels({ function: f.function })} ${f.invocations}`,
    );
  }
  return `${lines.join('\n')}\n`;
}
