/**
 * The local run's pipeline: a list of stages, one per capability, each producing sample traffic
 * onto the queues it owns and consuming it with the real consumer code. The run is
 *
 *   prepare (purge owned queues, forget their damaged rows) -> produce -> consume
 *   -> collect-dead-letters -> requeue-damaged -> consume again -> check -> summarise
 *
 * so that a retryable failure of the first pass comes back and succeeds in the second.
 * Capabilities plug in by adding one PipelineStage to the list in scripts/local-run.ts.
 */
import { inArray, sql } from 'drizzle-orm';
import { collectDeadLetters } from '../../lib/consumer/collect-dead-letters';
import type { DamagedStore } from '../../lib/consumer/damaged-store';
import { requeueDamaged } from '../../lib/consumer/requeue-damaged';
import type { RetryPolicy } from '../../lib/consumer/retry-policy';
import type { ConsumerCounts } from '../../lib/consumer/run-batch-consumer';
import type { Database } from '../../lib/db/client';
import { damaged } from '../../lib/db/schema';
import type { Logger } from '../../lib/log';
import type { QueueBackend, QueueStats } from '../../lib/queue/types';

export interface PipelineContext {
  backend: QueueBackend;
  database: Database;
  damagedStore: DamagedStore;
  /** The local run retries at once (delay 0), so that the second pass sees requeued messages. */
  retryPolicy: RetryPolicy;
  logger: Logger;
  /** The local stack's environment (REDIS_URL, DATABASE_URL, and what other services add). */
  env: Record<string, string>;
  tally: QueueTally;
}

export interface PipelineStage {
  name: string;
  /** Queues this stage owns: purged before the run, their dead letters collected, summarised. */
  queues: string[];
  /** Pushes sample traffic; records what it pushed in `context.tally`. */
  produce(context: PipelineContext): Promise<void>;
  /** Runs the capability's consumers once over its queues; records counts in `context.tally`. */
  consume(context: PipelineContext): Promise<void>;
  /** Problems with the outcome (empty when all went as expected); run after both passes. */
  check?(context: PipelineContext, summary: RunSummary): Promise<string[]> | string[];
}

/** What the run pushed and consumed, per queue. */
export class QueueTally {
  readonly byQueue = new Map<string, { pushed: number; consumed: ConsumerTotals }>();

  private entry(queue: string) {
    let entry = this.byQueue.get(queue);
    if (!entry) {
      entry = { pushed: 0, consumed: { processed: 0, succeeded: 0, dropped: 0, damaged: 0, retryScheduled: 0 } };
      this.byQueue.set(queue, entry);
    }
    return entry;
  }

  pushed(queue: string, count: number): void {
    this.entry(queue).pushed += count;
  }

  consumed(queue: string, counts: ConsumerCounts | ConsumerTotals): void {
    const totals = this.entry(queue).consumed;
    for (const key of Object.keys(totals) as (keyof ConsumerTotals)[]) totals[key] += counts[key];
  }
}

export type ConsumerTotals = Omit<ConsumerCounts, 'stoppedBecause'>;

export interface QueueSummary {
  queue: string;
  pushed: number;
  consumed: ConsumerTotals;
  now: QueueStats;
  inDamaged: number;
}

export interface RunSummary {
  queues: QueueSummary[];
  deadLettersCollected: Record<string, number>;
  requeued: number;
  tables: { table: string; rows: number }[];
}

/** Runs every stage through the pipeline and returns the summary and the stages' problems. */
export async function runPipeline(stages: PipelineStage[], context: PipelineContext): Promise<{ summary: RunSummary; problems: string[] }> {
  const queues = stages.flatMap((stage) => stage.queues);
  const step = (name: string) => context.logger.info({ step: name }, 'local run step');

  step('prepare');
  for (const queue of queues) await context.backend.purge(queue);
  if (queues.length > 0) await context.database.db.delete(damaged).where(inArray(damaged.originalQueue, queues));

  step('produce');
  for (const stage of stages) await stage.produce(context);
  step('consume');
  for (const stage of stages) await stage.consume(context);
  step('collect-dead-letters');
  const deadLettersCollected = await collectDeadLetters({ backend: context.backend, damagedStore: context.damagedStore, queues, limitPerQueue: 1000, logger: context.logger });
  step('requeue-damaged');
  const { requeued } = await requeueDamaged({ backend: context.backend, damagedStore: context.damagedStore, limit: 1000, logger: context.logger });
  step('consume again');
  for (const stage of stages) await stage.consume(context);

  step('summarise');
  const summary: RunSummary = { queues: [], deadLettersCollected, requeued, tables: await tableRows(context.database) };
  for (const queue of queues) {
    const entry = context.tally.byQueue.get(queue);
    summary.queues.push({
      queue,
      pushed: entry?.pushed ?? 0,
      consumed: entry?.consumed ?? { processed: 0, succeeded: 0, dropped: 0, damaged: 0, retryScheduled: 0 },
      now: await context.backend.stats(queue),
      inDamaged: await damagedCount(context.database, queue),
    });
  }
  const problems: string[] = [];
  for (const stage of stages) {
    for (const problem of (await stage.check?.(context, summary)) ?? []) problems.push(`${stage.name}: ${problem}`);
  }
  return { summary, problems };
}

async function damagedCount(database: Database, queue: string): Promise<number> {
  const [row] = await database.db.select({ count: sql<number>`count(*)` }).from(damaged).where(inArray(damaged.originalQueue, [queue]));
  return Number(row?.count ?? 0);
}

/** Exact row counts of every table of the run's database (the migrations journal excepted). */
async function tableRows(database: Database): Promise<{ table: string; rows: number }[]> {
  const [tables] = (await database.pool.query(
    "SELECT table_name AS name FROM information_schema.tables WHERE table_schema = DATABASE() AND table_type = 'BASE TABLE' AND table_name <> '__drizzle_migrations' ORDER BY table_name",
  )) as unknown as [{ name: string }[]];
  const out: { table: string; rows: number }[] = [];
  for (const { name } of tables) {
    const [[row]] = (await database.pool.query(`SELECT COUNT(*) AS count FROM \`${name.replace(/`/g, '')}\``)) as unknown as [[{ count: number }]];
    out.push({ table: name, rows: Number(row?.count ?? 0) });
  }
  return out;
}

/** The summary as a few aligned lines of text. */
export function formatSummary(summary: RunSummary): string {
  const lines: string[] = [];
  const header = ['queue', 'pushed', 'consumed', 'ok', 'dropped', 'damaged', 'retry', 'ready', 'in flight', 'dead', 'in damaged'];
  const rows = summary.queues.map((q) => [
    q.queue,
    q.pushed,
    q.consumed.processed,
    q.consumed.succeeded,
    q.consumed.dropped,
    q.consumed.damaged,
    q.consumed.retryScheduled,
    q.now.ready,
    q.now.inFlight,
    q.now.dead,
    q.inDamaged,
  ].map(String));
  lines.push('Queues', ...table([header, ...rows]), '');
  const collected = Object.entries(summary.deadLettersCollected).filter(([, n]) => n > 0).map(([q, n]) => `${q}: ${n}`);
  lines.push(`Dead letters moved to damaged: ${collected.length ? collected.join(', ') : 'none'}`);
  lines.push(`Damaged rows requeued: ${summary.requeued}`, '');
  lines.push('Tables', ...table([['table', 'rows'], ...summary.tables.map((t) => [t.table, String(t.rows)])]));
  return lines.join('\n');
}

function table(rows: string[][]): string[] {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((row) => row[i]!.length)));
  return rows.map((row) => '  ' + row.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  '));
}
