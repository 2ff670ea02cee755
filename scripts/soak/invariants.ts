/**
 * The soak's invariants (docs/soak.md), as pure checks of what a run produced and what the
 * stores hold afterwards. Each returns one line's worth: whether it holds, the figure, and the
 * first problems found (keys and counts only: never a message body, which holds donor data).
 */

export interface InvariantResult {
  name: string;
  ok: boolean;
  /** The figure printed on the invariant's line, e.g. "120000 pushed, 120000 processed, 14 duplicates ≤ 310 leases in flight at faults". */
  figure: string;
  /** At most a few examples of what is wrong. */
  problems: string[];
  /** Why the run could not judge it (too short): printed as such, and not a failure. */
  skipped?: string;
}

const EXAMPLES = 5;

function result(name: string, problems: string[], figure: string): InvariantResult {
  return { name, ok: problems.length === 0, figure, problems: problems.slice(0, EXAMPLES) };
}

/**
 * Every pushed message was processed at least once, and the duplicates (processings beyond the
 * first) are no more than the leases that were in flight when a fault struck: only a fault can
 * interrupt a consumer between processing and acking.
 */
export function checkProcessedAtLeastOnce(queue: string, pushed: Iterable<string>, processed: ReadonlyMap<string, number>, leasesInFlightAtFaults: number): InvariantResult {
  const problems: string[] = [];
  let count = 0;
  let missing = 0;
  for (const key of pushed) {
    count += 1;
    if (!processed.has(key)) {
      missing += 1;
      if (missing <= EXAMPLES) problems.push(`message ${key.slice(0, 16)} was pushed and never processed`);
    }
  }
  if (missing > EXAMPLES) problems.push(`${missing} messages pushed and never processed in all`);
  let duplicates = 0;
  for (const times of processed.values()) duplicates += times - 1;
  if (duplicates > leasesInFlightAtFaults) problems.push(`${duplicates} duplicate processings, more than the ${leasesInFlightAtFaults} leases in flight at the faults`);
  return result(`${queue}: every pushed message processed at least once`, problems, `${count} pushed, ${count - missing} processed, ${duplicates} duplicates ≤ ${leasesInFlightAtFaults} leases in flight at faults`);
}

/** The impressions table equals the independent aggregate of the produced events, cell by cell. */
export function checkCellsEqual(table: string, expected: ReadonlyMap<string, number>, actual: ReadonlyMap<string, number>): InvariantResult {
  const problems: string[] = [];
  let wrong = 0;
  for (const key of new Set([...expected.keys(), ...actual.keys()])) {
    if (expected.get(key) !== actual.get(key)) {
      wrong += 1;
      problems.push(`cell ${key}: expected ${expected.get(key) ?? 0}, table holds ${actual.get(key) ?? 0}`);
    }
  }
  const sum = (cells: ReadonlyMap<string, number>) => [...cells.values()].reduce((a, b) => a + b, 0);
  return result(`${table} equals the independent aggregate`, problems, `${expected.size} cells expected, ${actual.size} in the table, ${wrong} differ; total ${sum(expected)} expected, ${sum(actual)} stored`);
}

/** The tracking summary equals a rebuild from the event log, and the log holds every message. */
export function checkTracking(pushed: readonly string[], inEventLog: ReadonlySet<string>, rebuild: { ids: number; differing: readonly number[] }): InvariantResult {
  const problems: string[] = [];
  const missing = pushed.filter((key) => !inEventLog.has(key));
  for (const key of missing.slice(0, EXAMPLES)) problems.push(`tracking message ${key.slice(0, 16)} is not in the event log`);
  if (missing.length > EXAMPLES) problems.push(`${missing.length} tracking messages missing from the event log in all`);
  if (rebuild.differing.length > 0) problems.push(`summary differs from the rebuild for tracking ids ${rebuild.differing.slice(0, EXAMPLES).join(', ')} (${rebuild.differing.length} in all)`);
  return result('tracking summary equals a rebuild from the event log; the log holds every message', problems, `${pushed.length} messages, ${pushed.length - missing.length} in the log; ${rebuild.ids} ids rebuilt, ${rebuild.differing.length} differ`);
}

/** What the run expects of one order. */
export type OrderExpectation =
  /** The frontend sent the completion: settled (one pending_settled row), no pending row left. */
  | { order: string; expect: 'settled' }
  /**
   * An orphan the rectifier must settle: `donations` (0 or 1) distinct payments in the donations
   * pushed for it (gateway transaction ids: the money moved once), no pending row left.
   */
  | { order: string; expect: 'rectified'; donations: number }
  /**
   * The payment failed: no pending row left, nothing settled, no donation, whichever of its two
   * messages was consumed first (the outcome deletes the rows it finds; consume-pending drops a
   * row whose outcome it finds after writing it).
   */
  | { order: string; expect: 'failed' }
  /** Still pending, for the stated reason (the donor has not come back and the row is not yet an orphan). */
  | { order: string; expect: 'pending'; reason: string };

/** The donations pushed for one order: how many messages, and how many distinct processor transactions. */
export interface OrderDonations {
  pushes: number;
  transactions: number;
}

export interface OrdersObserved {
  /** Unresolved pending rows per order. */
  pendingRows: ReadonlyMap<string, number>;
  /** pending_settled rows per order. */
  settled: ReadonlyMap<string, number>;
  /** Donations pushed per order (by the rectifier). */
  donations: ReadonlyMap<string, OrderDonations>;
  /**
   * Repeated pushes of one payment the faults can explain: a rectifier stopped between pushing
   * an order's donation and resolving its rows (killed, or its database or Redis gone) attempts
   * the order again and pushes the same payment again; the CRM imports it once by its
   * gateway transaction id.
   */
  repeatedPushesAllowed: number;
}

/**
 * Every pending order is settled exactly once (one payment per orphan, the frontend's completion
 * recorded once, a failed payment's rows gone), or still pending for a stated reason.
 */
export function checkOrders(orders: readonly OrderExpectation[], observed: OrdersObserved): InvariantResult {
  const problems: string[] = [];
  const tally = { settled: 0, rectified: 0, failed: 0, pending: 0 };
  const reasons = new Map<string, number>();
  let repeated = 0;
  for (const order of orders) {
    const rows = observed.pendingRows.get(order.order) ?? 0;
    const settled = observed.settled.get(order.order) ?? 0;
    const { pushes, transactions } = observed.donations.get(order.order) ?? { pushes: 0, transactions: 0 };
    tally[order.expect] += 1;
    if (order.expect === 'settled') {
      if (settled !== 1 || rows !== 0) problems.push(`order ${order.order}: completed by the frontend, but settled ${settled} times with ${rows} pending rows left`);
    } else if (order.expect === 'rectified') {
      repeated += Math.max(0, pushes - transactions);
      if (transactions !== order.donations || rows !== 0) problems.push(`order ${order.order}: an orphan, but ${transactions} payments pushed as donations (expected ${order.donations}) and ${rows} pending rows left`);
    } else if (order.expect === 'failed') {
      if (rows !== 0 || settled !== 0 || pushes !== 0) problems.push(`order ${order.order}: its payment failed, but ${rows} pending rows left, settled ${settled} times, ${pushes} donations`);
    } else {
      reasons.set(order.reason, (reasons.get(order.reason) ?? 0) + 1);
      if (rows === 0 || pushes !== 0) problems.push(`order ${order.order}: expected still pending (${order.reason}), but ${rows} pending rows and ${pushes} donations`);
    }
  }
  if (repeated > observed.repeatedPushesAllowed) problems.push(`${repeated} donations pushed again for a payment already pushed, more than the ${observed.repeatedPushesAllowed} the faults that stopped a rectifier can explain`);
  const why = [...reasons].map(([reason, n]) => `${n} ${reason}`).join('; ');
  return result(
    'every pending order settled exactly once, or still pending for a stated reason',
    problems,
    `${tally.settled} settled by completion, ${tally.rectified} settled by the rectifier (${repeated} donations pushed again ≤ ${observed.repeatedPushesAllowed} after faults), ${tally.failed} cleared by a failed outcome, ${tally.pending} still pending${why ? ` (${why})` : ''}`,
  );
}

/** A deliberately bad message the run pushed, or a row of `damaged`. */
export interface DamagedMessage {
  key: string;
  queue: string;
  raw: string;
  /** A row's `damaged.error` (never donor data), so that a good message found there says why it was stored. */
  error?: string | null;
}

/**
 * `damaged` holds exactly the deliberately bad messages: each at least once (a redelivery after
 * a fault may store it again), nothing else, and a body that is not JSON exactly as it was sent.
 */
export function checkDamaged(bad: readonly DamagedMessage[], rows: readonly DamagedMessage[]): InvariantResult {
  const problems: string[] = [];
  const byKey = new Map<string, DamagedMessage[]>();
  for (const row of rows) byKey.set(row.key, [...(byKey.get(row.key) ?? []), row]);
  const badKeys = new Set(bad.map((message) => message.key));
  for (const message of bad) {
    const stored = byKey.get(message.key) ?? [];
    if (stored.length === 0) problems.push(`bad ${message.queue} message ${message.key.slice(0, 16)} is not in damaged`);
    else if (message.key.startsWith('raw:') && stored.some((row) => row.raw !== message.raw)) problems.push(`bad ${message.queue} message ${message.key.slice(0, 16)} is in damaged with a body other than the one sent`);
    else if (stored.some((row) => row.queue !== message.queue)) problems.push(`bad message ${message.key.slice(0, 16)} is in damaged under another queue`);
  }
  const unexpected = rows.filter((row) => !badKeys.has(row.key));
  for (const row of unexpected.slice(0, EXAMPLES)) {
    const why = row.error ? `: ${row.error.length > 200 ? `${row.error.slice(0, 200)}…` : row.error}` : '';
    problems.push(`damaged holds a ${row.queue} message that was not sent bad (${row.key.slice(0, 16)})${why}`);
  }
  const copies = rows.length - unexpected.length - new Set(rows.filter((row) => badKeys.has(row.key)).map((row) => row.key)).size;
  return result('damaged holds exactly the deliberately bad messages, with raw bodies', problems, `${bad.length} sent bad, ${rows.length} rows (${copies} repeated after faults), ${unexpected.length} unexpected`);
}

/** One memory reading: when (ms since the traffic started) and how much (bytes). */
export interface MemorySample {
  atMs: number;
  bytes: number;
  /**
   * Messages the process held at the time (Redis: every queue's waiting messages). When given,
   * growth is what the time explains beside them: a backlog that grows is data, not a leak.
   */
  held?: number;
}

/**
 * Memory is flat: each life of a process (a restart starts a new one) is judged on its samples
 * in the window (the second half of the run), leaving out the life's first `warmUpMs` (loading code and
 * growing the heap to its working size is not a leak). Its trend is robust: the Theil–Sen slope
 * (the median of the slopes between every two samples), which a garbage collection, a burst of
 * client buffers or a short backlog does not move, unlike a least-squares line. The trend times
 * the judged span is the life's growth; it must be at most `maxGrowthShare` of the life's median
 * or `minGrowthBytes`, whichever is more, and never more than `maxGrowthBytes`. A life with
 * fewer than `minSamples` judged samples shows warm-up, not a trend, and is not judged; a series
 * with no judged life fails. A run whose second half is shorter than `minWindowMs` is too short to
 * tell a heap growing to its working size from a leak: the check is skipped, and says so.
 */
export function checkMemoryFlat(
  series: string,
  lives: ReadonlyArray<readonly MemorySample[]>,
  window: { fromMs: number; toMs: number },
  limits: MemoryLimits = MEMORY_LIMITS,
): InvariantResult {
  const name = `memory of ${series} flat`;
  if (window.toMs - window.fromMs < limits.minWindowMs) {
    const skipped = `not judged: the second half of the run lasted ${Math.round((window.toMs - window.fromMs) / 1000)} s, a trend needs ${limits.minWindowMs / 1000} s`;
    return { name, ok: true, figure: skipped, problems: [], skipped };
  }
  const problems: string[] = [];
  let worst = Number.NEGATIVE_INFINITY;
  let judged = 0;
  let median = 0;
  for (const life of lives) {
    const warm = (life[0]?.atMs ?? 0) + limits.warmUpMs;
    const samples = life.filter((sample) => sample.atMs >= Math.max(window.fromMs, warm) && sample.atMs <= window.toMs);
    if (samples.length < limits.minSamples) continue;
    judged += 1;
    const growth = robustSlope(samples) * (samples[samples.length - 1]!.atMs - samples[0]!.atMs);
    const lifeMedian = medianOf(samples.map((s) => s.bytes));
    if (growth > worst) {
      worst = growth;
      median = lifeMedian;
    }
    const allowed = Math.min(limits.maxGrowthBytes, Math.max(limits.maxGrowthShare * lifeMedian, limits.minGrowthBytes));
    if (growth > allowed) {
      problems.push(`${series} grew ${mb(growth)} over the second half (median ${mb(lifeMedian)}; at most ${mb(allowed)}: ${Math.round(limits.maxGrowthShare * 100)}% of the median or ${mb(limits.minGrowthBytes)}, at most ${mb(limits.maxGrowthBytes)})`);
    }
  }
  if (judged === 0) problems.push(`${series}: no life of the process has ${limits.minSamples} samples in the second half after its warm-up`);
  const figure = judged === 0 ? 'no samples' : `growth ${mb(worst)} over the second half, median ${mb(median)} (${judged} ${judged === 1 ? 'life' : 'lives'} judged)`;
  return result(name, problems, figure);
}

export interface MemoryLimits {
  maxGrowthShare: number;
  /** Growth always allowed, however small the median (Redis holds a few MB when its queues are empty). */
  minGrowthBytes: number;
  maxGrowthBytes: number;
  minSamples: number;
  /** Samples of a life's first moments are left out: loading code and warming the heap is not a leak. */
  warmUpMs: number;
  /** The shortest second half of the run the check judges. */
  minWindowMs: number;
}

export const MEMORY_LIMITS: MemoryLimits = { maxGrowthShare: 0.2, minGrowthBytes: 8 * 1024 * 1024, maxGrowthBytes: 64 * 1024 * 1024, minSamples: 15, warmUpMs: 120_000, minWindowMs: 240_000 };

/** Pairs of samples the slope is taken over at most: a long life is thinned evenly first. */
const MAX_TREND_SAMPLES = 400;

/**
 * The Theil–Sen slope of bytes over time (bytes per ms). With `held` on every sample, bytes are
 * first corrected by what the held messages explain (the least-squares coefficient of bytes =
 * a + b·time + c·held), so that a backlog that grows is data, not a leak.
 */
function robustSlope(all: readonly MemorySample[]): number {
  const step = Math.max(1, Math.ceil(all.length / MAX_TREND_SAMPLES));
  const samples = all.filter((_, i) => i % step === 0);
  const perHeld = heldCoefficient(samples);
  const bytes = samples.map((s) => s.bytes - perHeld * (s.held ?? 0));
  const slopes: number[] = [];
  for (let i = 0; i < samples.length; i++) {
    for (let j = i + 1; j < samples.length; j++) {
      const dt = samples[j]!.atMs - samples[i]!.atMs;
      if (dt > 0) slopes.push((bytes[j]! - bytes[i]!) / dt);
    }
  }
  return slopes.length === 0 ? 0 : medianOf(slopes);
}

/** Bytes per held message, as the least-squares fit of bytes = a + b·time + c·held finds it; 0 without `held`. */
function heldCoefficient(samples: readonly MemorySample[]): number {
  if (!samples.every((s) => s.held !== undefined)) return 0;
  const n = samples.length;
  const mean = (f: (s: MemorySample) => number) => samples.reduce((a, s) => a + f(s), 0) / n;
  const mt = mean((s) => s.atMs);
  const mb = mean((s) => s.bytes);
  const mh = mean((s) => s.held!);
  const t = samples.map((s) => s.atMs - mt);
  const b = samples.map((s) => s.bytes - mb);
  const h = samples.map((s) => s.held! - mh);
  const stt = t.reduce((a, v) => a + v * v, 0);
  const shh = h.reduce((a, v) => a + v * v, 0);
  const sth = t.reduce((a, v, i) => a + v * h[i]!, 0);
  const stb = t.reduce((a, v, i) => a + v * b[i]!, 0);
  const shb = h.reduce((a, v, i) => a + v * b[i]!, 0);
  const det = stt * shh - sth * sth;
  // Held messages that do not vary (or vary exactly with time) explain nothing apart from time.
  if (shh === 0 || Math.abs(det) <= 1e-9 * stt * shh) return 0;
  return (shb * stt - stb * sth) / det;
}

function medianOf(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

function mb(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}
