/**
 * The console's figures in the Prometheus text exposition format (version 0.0.4), for a scraper
 * or a quick `curl`: queue counts and oldest age (QueueBackend.stats), damaged rows per original
 * queue, unresolved pending rows per gateway and age bucket, the impressions loader's lag. The same calls as the pages, so the
 * figures agree with what an operator sees.
 */
import { count, desc } from 'drizzle-orm';
import type { Db } from '../db/client';
import { damaged } from '../db/schema';
import type { ImpressionsLag } from '../impressions/lag';
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

/** The figures as Prometheus text; a queue whose stats failed reports `buffer_queue_up 0`. */
export function prometheusText(queues: QueueOverview[], damagedByQueue: Record<string, number>, pending: PendingGatewayAges[], lag: ImpressionsLag): string {
  const lines: string[] = [];
  const family = (name: string, help: string, samples: Array<[Record<string, string>, number]>) => {
    lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} gauge`);
    for (const [labels, value] of samples) {
      const text = Object.entries(labels).map(([k, v]) => `${k}="${label(v)}"`).join(',');
      lines.push(`${name}${text ? `{${text}}` : ''} ${value}`);
    }
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
  return `${lines.join('\n')}\n`;
}
