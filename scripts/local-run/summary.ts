/**
 * What the local run counts while it runs (the tally), what it observes at the end (the
 * summary), the live progress line and the summary text. Formatting is pure, so that tests
 * can pin it down.
 */
import type { QueueStats } from '../../lib/queue/types';
import type { OrphanExpectation } from './traffic';

/** An order the run made: gateway and order id (never donor data). */
export interface OrderRef {
  gateway: string;
  orderId: string;
}

/** How the run keys an order in its tallies and observations. */
export function orderKeyOf(order: OrderRef): string {
  return `${order.gateway} ${order.orderId}`;
}

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
  /** HTTP answers of the pending endpoint (GET an order's rows, POST a completion), by status code. */
  readonly pendingHttp = new Map<number, number>();
  /** Per gateway: its adapter kind and the summed outcomes of every rectifier run, whoever ran it. */
  readonly rectified = new Map<string, { adapter: string; outcomes: Record<string, number> }>();
  /** Donations the CRM stand-in imported, by order (`gateway order_id`). */
  readonly donationsByOrder = new Map<string, number>();
  /** The orders the run made for the lifecycle, with how each must end. */
  readonly orphans: Array<OrderRef & { expect: OrphanExpectation }> = [];
  readonly completions: Array<OrderRef & { via: 'endpoint' | 'queue' }> = [];
  /** One entry per extra copy of a pending message pushed (a producer's retry, a redelivery after completion). */
  readonly duplicates: OrderRef[] = [];

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

  pendingHttpAnswer(status: number): void {
    this.pendingHttp.set(status, (this.pendingHttp.get(status) ?? 0) + 1);
  }

  /** Adds one gateway's outcomes from a rectifier run's `orphans rectified` log line. */
  rectifierRun(gateway: string, adapter: string, outcomes: Record<string, unknown>): void {
    const entry = this.rectified.get(gateway) ?? { adapter, outcomes: {} };
    for (const [outcome, n] of Object.entries(outcomes)) if (Number.isFinite(Number(n))) entry.outcomes[outcome] = (entry.outcomes[outcome] ?? 0) + Number(n);
    this.rectified.set(gateway, entry);
  }

  /** The CRM stand-in imported a donation of this order. */
  donation(gateway: string, orderId: string): void {
    const key = orderKeyOf({ gateway, orderId });
    this.donationsByOrder.set(key, (this.donationsByOrder.get(key) ?? 0) + 1);
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
  /** Answers of the pending endpoint, by status code. */
  pendingHttp?: Record<string, number>;
  /** The pending lifecycle at the processors: orphans per processor, completions, duplicates. */
  lifecycle?: LifecycleSummary;
  /** Why the run failed; empty when every queue drained and every table is filled. */
  problems: string[];
  notes: string[];
}

/** One gateway's orphans and what the rectifier runs made of them. */
export interface ProcessorLine {
  gateway: string;
  /** The adapter kind that settled it (RECTIFY_ADAPTERS). */
  adapter: string;
  /** Orphans the run made at this gateway's processor. */
  orphans: number;
  /** Completed, approved or finished: a donation each. */
  settled: number;
  /** Failed or cancelled at the processor: released, no donation. */
  cancelled: number;
  /** Held for review (antifraud) or sent to `damaged` for a person (a recurring one never charged). */
  forPeople: number;
  /** The processor failed one request: the order waited in `damaged` for a retry. */
  retried: number;
  /** Discarded (never paid), left pending, refunded, already imported or settled meanwhile. */
  other: number;
}

export interface LifecycleSummary {
  processors: ProcessorLine[];
  completions: { endpoint: number; queue: number; absorbed: number };
  duplicates: { messages: number; orders: number; secondRows: number; secondDonations: number };
}

/** What the run's database shows of one order at the end. */
export interface ObservedOrder {
  /** Pending rows not resolved. */
  unresolved: number;
  /** Whether `pending_settled` records the order. */
  settled: boolean;
}

const SETTLED_OUTCOMES = ['completed', 'approved', 'finished'];
const FOR_PEOPLE_OUTCOMES = ['held-for-review', 'damaged'];

/**
 * The lifecycle lines and the problems that fail the run: per processor no orphan settled, or
 * none cancelled or left for people when the run made such orphans; an orphan that did not end
 * as it must (its donation pushed other than once or never, a row left); a completed order with a
 * row left, not recorded as settled, or given a donation; a duplicate that left a second row or
 * produced a second donation; no processor failure retried.
 */
export function lifecycleSummary(tally: RunTally, observed: ReadonlyMap<string, ObservedOrder>): { summary: LifecycleSummary; problems: string[] } {
  const problems: string[] = [];
  const sum = (outcomes: Record<string, number>, names: string[]) => names.reduce((n, name) => n + (outcomes[name] ?? 0), 0);
  const donations = (order: OrderRef) => tally.donationsByOrder.get(orderKeyOf(order)) ?? 0;
  const unresolved = (order: OrderRef) => observed.get(orderKeyOf(order))?.unresolved ?? 0;
  const gateways = [...new Set(tally.orphans.map((o) => o.gateway))];
  const processors = gateways.map((gateway): ProcessorLine => {
    const { adapter, outcomes } = tally.rectified.get(gateway) ?? { adapter: '?', outcomes: {} };
    const known = [...SETTLED_OUTCOMES, 'cancelled', ...FOR_PEOPLE_OUTCOMES, 'retry-scheduled'];
    const line = {
      gateway,
      adapter,
      orphans: tally.orphans.filter((o) => o.gateway === gateway).length,
      settled: sum(outcomes, SETTLED_OUTCOMES),
      cancelled: outcomes.cancelled ?? 0,
      forPeople: sum(outcomes, FOR_PEOPLE_OUTCOMES),
      retried: outcomes['retry-scheduled'] ?? 0,
      other: Object.entries(outcomes).reduce((n, [name, count]) => (known.includes(name) ? n : n + count), 0),
    };
    const expected = (expect: OrphanExpectation) => tally.orphans.some((o) => o.gateway === gateway && o.expect === expect);
    if (line.settled === 0) problems.push(`no orphan was settled at ${gateway} (${adapter})`);
    if (expected('cancelled') && line.cancelled === 0) problems.push(`no orphan was cancelled at ${gateway} (${adapter})`);
    if (expected('for-people') && line.forPeople === 0) problems.push(`no orphan was left for people at ${gateway} (${adapter})`);
    return line;
  });
  for (const orphan of tally.orphans) {
    const want = orphan.expect === 'donation' ? 1 : 0;
    if (donations(orphan) !== want) problems.push(`orphan ${orphan.orderId} at ${orphan.gateway} (${orphan.expect}): ${donations(orphan)} donations pushed, expected ${want}`);
    if (unresolved(orphan) > 0) problems.push(`orphan ${orphan.orderId} at ${orphan.gateway}: ${unresolved(orphan)} pending rows left`);
  }
  let absorbed = 0;
  for (const completion of tally.completions) {
    const settled = observed.get(orderKeyOf(completion))?.settled ?? false;
    if (settled && unresolved(completion) === 0 && donations(completion) === 0) absorbed += 1;
    else problems.push(`completed order ${completion.orderId} at ${completion.gateway} (${completion.via}): ${settled ? 'settled' : 'not settled'}, ${unresolved(completion)} pending rows left, ${donations(completion)} donations`);
  }
  const duplicated = new Map(tally.duplicates.map((d) => [orderKeyOf(d), d]));
  let secondRows = 0;
  let secondDonations = 0;
  for (const order of duplicated.values()) {
    if (unresolved(order) > 1) secondRows += unresolved(order) - 1;
    if (donations(order) > 1) secondDonations += donations(order) - 1;
  }
  if (secondRows > 0) problems.push(`duplicated pending messages left ${secondRows} second rows`);
  if (secondDonations > 0) problems.push(`duplicated pending messages produced ${secondDonations} second donations`);
  if (tally.orphans.length > 0 && processors.every((p) => p.retried === 0)) problems.push('no processor failure was retried');
  const completions = { endpoint: tally.completions.filter((c) => c.via === 'endpoint').length, queue: tally.completions.filter((c) => c.via === 'queue').length, absorbed };
  return { summary: { processors, completions, duplicates: { messages: tally.duplicates.length, orders: duplicated.size, secondRows, secondDonations } }, problems };
}

/** The lifecycle lines of the summary. */
function formatLifecycle(lifecycle: LifecycleSummary): string[] {
  const { completions: c, duplicates: d } = lifecycle;
  return [
    '',
    'Orphans per processor (every rectifier run: rectify-orphans and the triggered consume-rectify)',
    ...table([
      ['gateway', 'processor', 'orphans', 'settled', 'cancelled', 'for people', 'retried', 'other'],
      ...lifecycle.processors.map((p) => [p.gateway, p.adapter, p.orphans, p.settled, p.cancelled, p.forPeople, p.retried, p.other].map(String)),
    ], [1]),
    `Completions: ${c.endpoint} through the signed endpoint, ${c.queue} as queue messages; ${c.absorbed} of ${c.endpoint + c.queue} orders settled with no pending row left and no donation`,
    `Duplicates: ${d.messages} duplicated or redelivered pending messages of ${d.orders} orders absorbed; ${d.secondRows} second rows, ${d.secondDonations} second donations`,
  ];
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
  if (summary.lifecycle) lines.push(...formatLifecycle(summary.lifecycle));
  lines.push('', `Tracking endpoint answers: ${http.length ? http.join(', ') : 'none'}`);
  if (summary.pendingHttp) {
    const pendingHttp = Object.entries(summary.pendingHttp).map(([status, n]) => `${n} x ${status}`);
    lines.push(`Pending endpoint answers: ${pendingHttp.length ? pendingHttp.join(', ') : 'none'}`);
  }
  const damaged = Object.entries(summary.damagedByQueue).map(([queue, n]) => `${queue}: ${n}`);
  lines.push(`Rows in damaged by original queue: ${damaged.length ? damaged.join(', ') : 'none'}`, '');
  lines.push('Tables', ...table([['table', 'rows'], ...summary.tables.map((t) => [t.table, String(t.rows)])]));
  for (const note of summary.notes) lines.push(`Note: ${note}`);
  lines.push('');
  if (summary.problems.length === 0) {
    lines.push(`Result: every queue drained to zero, every topic loaded, every table filled${summary.lifecycle ? ', every order of the pending lifecycle ended as it must' : ''}.`);
  }
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
