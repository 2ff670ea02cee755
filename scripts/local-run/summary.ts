/**
 * What the local run counts while it runs (the tally), what it observes at the end (the
 * summary), the live progress line and the summary text. Formatting is pure, so that tests
 * can pin it down.
 */
import type { QueueStats } from '../../lib/queue/types';

export interface ConsumerTotals {
  processed: number;
  succeeded: number;
  dropped: number;
  damaged: number;
  retryScheduled: number;
}

const noTotals = (): ConsumerTotals => ({ processed: 0, succeeded: 0, dropped: 0, damaged: 0, retryScheduled: 0 });

export interface FunctionTally {
  /** Invocations the local run made through the Lambda invoke endpoint. */
  driven: number;
  /** Invocations serverless-offline made on its schedule. */
  scheduled: number;
  failed: number;
  /** Driven invocations still running when the run stopped (abandoned; serverless-offline's stop ends them). */
  abandoned: number;
  /** The last error message of a failed invocation (never a message body). */
  lastError?: string;
  /** Sums of the numeric results of the driven invocations, flattened (`gateways.ingenico.attempted`). */
  results: Record<string, number>;
}

/** Counts of the run, fed by the traffic generator, the consumers' log lines and the drivers. */
export class RunTally {
  readonly pushed = new Map<string, number>();
  /** Messages the jobs pushed (requeue-damaged back onto queues, rectify-orphans onto donations). */
  readonly pushedByJobs = new Map<string, number>();
  readonly consumed = new Map<string, ConsumerTotals>();
  readonly produced = new Map<string, number>();
  readonly functions = new Map<string, FunctionTally>();
  /** HTTP answers of the tracking endpoint, by status code. */
  readonly http = new Map<number, number>();
  /** Deliveries the CRM stand-in could not import (each one a simulated consumer crash). */
  crmCrashes = 0;

  push(queue: string, count = 1): void {
    this.pushed.set(queue, (this.pushed.get(queue) ?? 0) + count);
  }

  pushByJob(queue: string, count: number): void {
    if (count > 0) this.pushedByJobs.set(queue, (this.pushedByJobs.get(queue) ?? 0) + count);
  }

  produce(topic: string, count = 1): void {
    this.produced.set(topic, (this.produced.get(topic) ?? 0) + count);
  }

  httpAnswer(status: number): void {
    this.http.set(status, (this.http.get(status) ?? 0) + 1);
  }

  /** Adds one consumer run's counts (from its `consumer run finished` log line or its result). */
  consumerRun(queue: string, counts: Partial<ConsumerTotals>): void {
    const totals = this.consumed.get(queue) ?? noTotals();
    for (const key of Object.keys(totals) as (keyof ConsumerTotals)[]) totals[key] += Number(counts[key] ?? 0);
    this.consumed.set(queue, totals);
  }

  private fn(name: string): FunctionTally {
    let entry = this.functions.get(name);
    if (!entry) {
      entry = { driven: 0, scheduled: 0, failed: 0, abandoned: 0, results: {} };
      this.functions.set(name, entry);
    }
    return entry;
  }

  /** A driven invocation has started (its outcome follows with `invocation`, unless abandoned). */
  invocationStarted(name: string): void {
    this.fn(name).abandoned += 1;
  }

  invocation(name: string, outcome: { ok: boolean; payload: unknown; scheduled?: boolean }): void {
    const entry = this.fn(name);
    if (outcome.scheduled) entry.scheduled += 1;
    else {
      entry.driven += 1;
      entry.abandoned = Math.max(0, entry.abandoned - 1);
    }
    if (!outcome.ok) {
      entry.failed += 1;
      const payload = outcome.payload as { errorType?: unknown; errorMessage?: unknown } | undefined;
      entry.lastError = `${String(payload?.errorType ?? 'Error')}: ${String(payload?.errorMessage ?? payload).split('\n')[0]!.slice(0, 160)}`;
      return;
    }
    if (!outcome.scheduled) addNumbers(entry.results, '', outcome.payload);
  }
}

function addNumbers(into: Record<string, number>, prefix: string, value: unknown): void {
  if (typeof value === 'number' && Number.isFinite(value)) {
    if (prefix && !/(^|\.)(durationMs|seconds|ms)$/.test(prefix)) into[prefix] = (into[prefix] ?? 0) + value;
    return;
  }
  if (value && typeof value === 'object' && !Array.isArray(value)) {
    for (const [key, inner] of Object.entries(value)) addNumbers(into, prefix ? `${prefix}.${key}` : key, inner);
  }
}

export interface QueueSummary {
  queue: string;
  /** Why nothing in this project consumes it, when that is so (the CRM side). */
  note?: string;
  pushed: number;
  pushedByJobs: number;
  consumed: ConsumerTotals;
  now: QueueStats;
}

export interface TopicSummary {
  topic: string;
  produced: number;
  /** Events the loader's consumer group has applied (counted, ignored and invalid ones). */
  loaded: number;
  /** Events of the topic not yet applied by the loader's consumer group. */
  lag: number;
}

export interface RunSummary {
  trafficSeconds: number;
  ratePerKind: number;
  /** Seconds from the end of traffic until everything drained (null: it did not). */
  drainSeconds: number | null;
  totalSeconds: number;
  queues: QueueSummary[];
  topics: TopicSummary[];
  functions: Array<{ name: string } & FunctionTally>;
  tables: Array<{ table: string; rows: number }>;
  damagedByQueue: Record<string, number>;
  http: Record<string, number>;
  /** Why the run failed; empty when every queue drained and every table is filled. */
  problems: string[];
  notes: string[];
}

/** The summary as aligned plain text. */
export function formatSummary(summary: RunSummary): string {
  const lines: string[] = [];
  lines.push(
    `Local run: ${summary.trafficSeconds} s of traffic at ${summary.ratePerKind}/s per kind; ` +
      (summary.drainSeconds === null ? 'NOT drained' : `drained ${summary.drainSeconds.toFixed(1)} s after the traffic stopped`) +
      `; ${summary.totalSeconds.toFixed(1)} s in all.`,
    '',
  );
  lines.push(
    'Queues',
    ...table([
      ['queue', 'pushed', 'by jobs', 'consumed', 'ok', 'dropped', 'damaged', 'retry', 'ready', 'in flight', 'delayed', 'dead'],
      ...summary.queues.map((q) =>
        [q.queue + (q.note ? ' *' : ''), q.pushed, q.pushedByJobs, q.consumed.processed, q.consumed.succeeded, q.consumed.dropped, q.consumed.damaged, q.consumed.retryScheduled, q.now.ready, q.now.inFlight, q.now.delayed, q.now.dead].map(String),
      ),
    ]),
  );
  for (const q of summary.queues.filter((q) => q.note)) lines.push(`  * ${q.queue}: ${q.note}`);
  lines.push('', 'Kafka topics', ...table([['topic', 'produced', 'loaded', 'not yet loaded'], ...summary.topics.map((t) => [t.topic, String(t.produced), String(t.loaded), String(t.lag)])]));
  lines.push(
    '',
    'Functions (driven: through the Lambda invoke endpoint; scheduled: by serverless-offline)',
    ...table([
      ['function', 'driven', 'scheduled', 'failed', 'what the finished driven runs did'],
      ...summary.functions.map((f) => [
        f.name,
        String(f.driven + f.abandoned),
        String(f.scheduled),
        String(f.failed),
        describeResults(f.results) + (f.abandoned ? ` (${f.abandoned} still running at the end, stopped with serverless-offline)` : ''),
      ]),
    ], [4]),
  );
  const failing = summary.functions.filter((f) => f.lastError);
  for (const f of failing) lines.push(`  ${f.name} last error: ${f.lastError}`);
  const http = Object.entries(summary.http).map(([status, n]) => `${n} x ${status}`);
  lines.push('', `Tracking endpoint answers: ${http.length ? http.join(', ') : 'none'}`);
  const damaged = Object.entries(summary.damagedByQueue).map(([queue, n]) => `${queue}: ${n}`);
  lines.push(`Rows in damaged by original queue: ${damaged.length ? damaged.join(', ') : 'none'}`, '');
  lines.push('Tables', ...table([['table', 'rows'], ...summary.tables.map((t) => [t.table, String(t.rows)])]));
  for (const note of summary.notes) lines.push(`Note: ${note}`);
  lines.push('');
  if (summary.problems.length === 0) lines.push('Result: every queue drained to zero, every topic loaded, every table filled.');
  else lines.push('Result: FAILED', ...summary.problems.map((p) => `  - ${p}`));
  return lines.join('\n');
}

/**
 * A driven function's summed results in a few words: top-level counts first, then nested ones
 * grouped by their parent (`gateways.ingenico.outcomes.approved` is shown as `ingenico: approved`).
 */
export function describeResults(results: Record<string, number>): string {
  const top: string[] = [];
  const groups = new Map<string, string[]>();
  for (const [key, n] of Object.entries(results)) {
    if (n === 0) continue;
    const path = key.split('.').filter((part) => part !== 'gateways' && part !== 'outcomes');
    const name = path.pop()!;
    if (path.length === 0) top.push(`${name} ${n}`);
    else groups.set(path.join('.'), [...(groups.get(path.join('.')) ?? []), `${name} ${n}`]);
  }
  const parts = [top.join(', '), ...[...groups].map(([group, items]) => `${group}: ${items.join(', ')}`)].filter(Boolean);
  return parts.join('; ') || '-';
}

/** One line of progress: pushed per kind, queue depths, rows per table. */
export function progressLine(elapsedSeconds: number, pushed: Record<string, number>, depths: Record<string, number>, rows: Record<string, number>): string {
  const join = (values: Record<string, number>) =>
    Object.entries(values)
      .map(([key, n]) => `${key} ${n}`)
      .join(' ');
  return `[${String(Math.round(elapsedSeconds)).padStart(3)} s] pushed: ${join(pushed)} | waiting: ${join(depths)} | rows: ${join(rows)}`;
}

/** Aligned columns: the first and those in `textColumns` to the left, numbers to the right. */
function table(rows: string[][], textColumns: number[] = []): string[] {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((row) => (row[i] ?? '').length)));
  const left = (i: number) => i === 0 || textColumns.includes(i);
  return rows.map((row) => ('  ' + row.map((cell, i) => (left(i) ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  ')).trimEnd());
}
