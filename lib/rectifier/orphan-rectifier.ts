/**
 * The orphan rectifier. An orphan is a pending row whose donor never came back from the payment
 * processor. Per gateway, oldest first, rows older than the minimum age and not resolved are
 * settled with the processor; the walk stops at the first younger row or at a limit.
 *
 * The rectifier acts on orders, not rows: the oldest row names an order (gateway, order id), the
 * order's newest unresolved row speaks for it (its message is the latest attempt), the processor
 * is asked once, at most one donation is pushed, and afterwards every row of the order is
 * resolved, as the legacy rectifier deleted every row of the order after an attempt. A row
 * without an order id is an order of its own.
 *
 * For each order: if its contribution was already imported, the payment is cancelled; otherwise
 * the processor adapter gives its status and the order is settled: complete → a donations
 * message (the pending row merged in); failed, cancelled or revised → cancel; needs finishing or
 * approval → finish or approve, then push; still pending, refunded or discarded → nothing.
 * Every row of the attempted order is then deleted (or marked resolved), and an order settled for
 * good (money moved or released) is recorded in `pending_settled` as a completion is; an error sends the
 * speaking row to `damaged` first, with a retry date when the processor failed only this request
 * (a RetryableError, see processor-http.ts): requeue-damaged then pushes it back to the pending
 * queue, and a later run tries again. A processor or database that is down stops the run and
 * leaves the order's rows in place.
 *
 * The algorithm knows no processor: it only reads statuses and declared capabilities.
 */
import { eq } from 'drizzle-orm';
import type { DamagedStore } from '../consumer/damaged-store';
import type { RetryPolicy } from '../consumer/retry-policy';
import { storeFailure } from '../consumer/settle';
import { RunBudget } from '../consumer/run-budget';
import type { Db } from '../db/client';
import { contributionTracking } from '../db/schema';
import { InfrastructureError, PermanentError, toError } from '../errors';
import { createLogger, type Logger } from '../log';
import { withDatabase } from '../db/transaction';
import { PaymentsInitialStore } from '../pending/payments-initial-store';
import { settleOrder } from '../pending/complete-order';
import { PendingStore, type PendingRecord, type ResolveMode } from '../pending/pending-store';
import { SettledOrdersStore } from '../pending/settled-orders-store';
import { GatewayLeases } from './gateway-lease';
import type { GatewayRun, OrphanOutcome } from './gateway-run';
import { recordGatewayRun, type RunSource } from './run-history';
import type { QueueBackend } from '../queue/types';
import type { AdapterLookup } from './adapters';
import {
  can,
  settlesMethod,
  UnsupportedActionError,
  type Capability,
  type CompletionResult,
  type OrphanPayment,
  type ProcessorAdapter,
  type StatusResult,
} from './processor-adapter';

export interface RectifyResult {
  gateways: Record<string, GatewayRun>;
  /** Gateways whose processor was down, each with why and which row stays (no donor data). */
  stoppedGateways: Array<{ gateway: string; reason: string }>;
}

export interface RectifierDeps {
  /** The pending capability's database: `pending`, `payments_initial`, `pending_settled`, `rectifier_leases`. */
  db: Db;
  /** The tracking capability's database (`contribution_tracking`), which may be another one (TRACKING_DATABASE_URL). */
  trackingDb: Db;
  backend: QueueBackend;
  damagedStore: DamagedStore;
  /** The adapter of a row's gateway and `gateway_account` (a Map by gateway works too). */
  adapters: AdapterLookup;
  /** When a row whose processor failed only this request is tried again. */
  retryPolicy: RetryPolicy;
  logger?: Logger;
}

export interface RectifyOptions {
  gateways: string[];
  minAgeMinutes: number;
  /** Rows per gateway; 0: no limit. */
  limitPerGateway: number;
  /** Whole run; 0: no limit. */
  timeLimitSeconds: number;
  /** Orders of one gateway settled at once (processor calls in flight); 1 when absent. */
  concurrency?: number;
  resolveMode: ResolveMode;
  donationsQueue: string;
  /** The queue rows came from, recorded on `damaged` rows. */
  pendingQueue: string;
  now?: () => Date;
  /** Where each gateway's summary is appended (run-history.ts); absent: not recorded. */
  history?: { source: RunSource; keep: number };
}

/**
 * The rectifier could not go on: a dependency is down. The row it was working on stays. When
 * only processors were down, the other gateways ran and `result` holds the run's summary.
 */
export class RectifierStoppedError extends InfrastructureError {
  result?: RectifyResult;
}

/**
 * The key the rectifier adds to a row it stores in `damaged`: the id of the row it came from.
 * Bookkeeping, dropped from donations.
 */
export const REQUEUED_FROM_KEY = 'pending_requeued_from';

/** A processor was unreachable: only its gateway stops (an InfrastructureError from its adapter). */
class ProcessorDownError extends InfrastructureError {}

/**
 * The payments-init outcome of the order asks for a person (`validation_action` review, or
 * anything but `process`): the rectifier approves and captures nothing; the row goes to
 * `damaged` without a retry date, where people look.
 */
export class HeldForReviewError extends PermanentError {}

/**
 * Rectifies orphans of every configured gateway. A processor that is down stops its gateway only;
 * the run goes on and then rejects with RectifierStoppedError (carrying the summary), so that the
 * outage is an invocation error someone sees. The database or the queue down stops the run at once.
 */
export async function rectifyOrphans(deps: RectifierDeps, options: RectifyOptions): Promise<RectifyResult> {
  const logger = deps.logger ?? createLogger({ component: 'orphan-rectifier' });
  const now = options.now ?? (() => new Date());
  const leases = new GatewayLeases(deps.db);
  const walk: Walk = {
    deps,
    options,
    logger,
    now,
    store: new PendingStore(deps.db),
    settled: new SettledOrdersStore(deps.db),
    // The row limit is per gateway (each counts its own orders), the time limit is the whole run's.
    budget: new RunBudget({ count: options.limitPerGateway, countLimit: 'row-limit', timeMs: options.timeLimitSeconds * 1000 }),
    result: { gateways: {}, stoppedGateways: [] },
  };
  // A lease outlasts the run's time limit by the order in hand (a few processor calls).
  const leaseSeconds = (options.timeLimitSeconds > 0 ? options.timeLimitSeconds : LEASE_SECONDS_WITHOUT_LIMIT) + LEASE_MARGIN_SECONDS;
  for (const gateway of options.gateways) {
    const adapter = deps.adapters.get(gateway);
    if (!adapter) throw new UnsupportedActionError(`no processor adapter is configured for gateway ${gateway}`);
    const run: GatewayRun = { attempted: 0, rowsResolved: 0, outcomes: {}, processorStatuses: {}, stoppedBecause: 'empty' };
    walk.result.gateways[gateway] = run;
    const startedAt = now();
    const until = new Date(startedAt.getTime() + leaseSeconds * 1000);
    if (!(await stopOnInfrastructure(gateway, null, () => withDatabase('take the gateway lease', () => leases.take(gateway, now(), until))))) {
      run.stoppedBecause = 'held-elsewhere';
      logger.info({ gateway }, 'gateway skipped: another rectifier run holds it');
      await recordRun(deps.db, options, logger, gateway, startedAt, now(), run);
      continue;
    }
    try {
      await walkGateway(walk, gateway, adapter, run);
    } finally {
      // A lease not given back (the database went away) expires on its own.
      await withDatabase('release the gateway lease', () => leases.release(gateway)).catch(() => undefined);
    }
    logger.info({ gateway, adapter: adapter.kind, ...run }, 'orphans rectified');
    await recordRun(deps.db, options, logger, gateway, startedAt, now(), run);
    if (run.stoppedBecause === 'time-limit') break;
  }
  const { result } = walk;
  if (result.stoppedGateways.length > 0) {
    const stopped = new RectifierStoppedError(result.stoppedGateways.map(({ reason }) => reason).join('; '));
    stopped.result = result;
    throw stopped;
  }
  return result;
}

/**
 * Appends the gateway's summary to the run history. The history is for people: a failure to
 * write it is logged and does not fail a run whose settlements are done.
 */
async function recordRun(db: Db, options: RectifyOptions, logger: Logger, gateway: string, startedAt: Date, finishedAt: Date, run: GatewayRun): Promise<void> {
  if (!options.history) return;
  const { source, keep } = options.history;
  try {
    await withDatabase('record the rectifier run', () => recordGatewayRun(db, { gateway, source, startedAt, finishedAt, run }, keep));
  } catch (error) {
    logger.warn({ gateway, err: toError(error).message }, 'rectifier run summary not recorded');
  }
}

/** What one run shares between the gateways it walks. */
interface Walk {
  deps: RectifierDeps;
  options: RectifyOptions;
  logger: Logger;
  now: () => Date;
  store: PendingStore;
  settled: SettledOrdersStore;
  budget: RunBudget<'row-limit'>;
  result: RectifyResult;
}

/**
 * One gateway, oldest orders first, `concurrency` orders at once, until a limit, a row too young,
 * or its processor is down (the orders in hand are finished first).
 */
async function walkGateway(walk: Walk, gateway: string, adapter: ProcessorAdapter, run: GatewayRun): Promise<void> {
  const { options, now, store, budget } = walk;
  // Only the payment methods the gateway's adapter settles: other rows are never touched.
  const methods = adapter.paymentMethods ? [...adapter.paymentMethods] : [];
  for (;;) {
    const limitReached = budget.exhausted(run.attempted);
    if (limitReached) {
      run.stoppedBecause = limitReached;
      return;
    }
    const oldest = await stopOnInfrastructure(gateway, null, () => store.fetchOldestOrders(gateway, methods, budget.nextBatch(run.attempted, options.concurrency ?? 1)));
    if (oldest.length === 0) return;
    const cutoff = now().getTime() - options.minAgeMinutes * 60_000;
    const due = oldest.filter((row) => row.date.getTime() <= cutoff);
    const waves = await Promise.allSettled(due.map((row) => settleOneOrder(walk, gateway, adapter, run, row)));
    const thrown = waves.find((wave): wave is PromiseRejectedResult => wave.status === 'rejected');
    if (thrown) throw thrown.reason;
    if (waves.some((wave) => wave.status === 'fulfilled' && wave.value === 'processor-unavailable')) {
      run.stoppedBecause = 'processor-unavailable';
      return;
    }
    if (due.length < oldest.length) {
      run.stoppedBecause = 'younger-row';
      return;
    }
  }
}

/**
 * One order, named by its oldest row: asked of the processor once (by its newest unresolved row),
 * then every row of it resolved. `processor-unavailable`: its processor was down, its rows stay.
 */
async function settleOneOrder(walk: Walk, gateway: string, adapter: ProcessorAdapter, run: GatewayRun, row: PendingRecord): Promise<'settled' | 'processor-unavailable'> {
  const { deps, options, logger, store, settled, result } = walk;
  // The order, not the row: every row of (gateway, order id) is settled by one attempt.
  const orderId = row.orderId;
  const orderRows = orderId === null
    ? [row]
    : await stopOnInfrastructure(gateway, row.id, () => withDatabase('fetch pending rows of the order', () => store.fetchOrder(gateway, orderId)));
  const speaker = orderRows.find((candidate) => !candidate.isResolved) ?? row;
  run.attempted += 1;
  let outcome: OrphanOutcome;
  try {
    // Settled meanwhile (a row that slipped in beside its completion): nothing to ask the processor.
    const settledElsewhere = orderId !== null
      && (await stopOnInfrastructure(gateway, row.id, () => withDatabase('look up pending_settled', () => settled.settledOrders([{ gateway, orderId }])))).size > 0;
    outcome = settledElsewhere ? 'settled' : await stopOnInfrastructure(gateway, row.id, () => attemptRow(deps, adapter, speaker, options, logger, run));
  } catch (error) {
    if (!(error instanceof RectifierStoppedError) || !(error.cause instanceof ProcessorDownError)) throw error;
    run.attempted -= 1;
    // Orders in flight together may each meet the outage: the gateway is reported once.
    if (!result.stoppedGateways.some((stopped) => stopped.gateway === gateway)) result.stoppedGateways.push({ gateway, reason: error.message });
    logger.error({ gateway, adapter: adapter.kind, reason: error.message }, 'processor unavailable: gateway stopped, the run goes on');
    return 'processor-unavailable';
  }
  run.outcomes[outcome] = (run.outcomes[outcome] ?? 0) + 1;
  // Read into a constant first: `run.rowsResolved += await …` would add to a count read before
  // the orders settled beside this one added theirs.
  const resolved = await stopOnInfrastructure(gateway, row.id, () =>
    withDatabase('resolve pending rows of the order', async () => {
      if (orderId === null) {
        await store.resolveRow(row.id, options.resolveMode);
        return 1;
      }
      // A settled order is recorded as the completion records it, so that a late redelivery of
      // one of its pending messages is dropped rather than stored again for a second attempt.
      if (SETTLING_OUTCOMES.has(outcome)) return settleOrder({ pending: store, settled }, { gateway, orderId }, options.resolveMode);
      return store.resolveOrder(gateway, orderId, options.resolveMode);
    }),
  );
  run.rowsResolved += resolved;
  return 'settled';
}

/**
 * Outcomes after which the order is settled for good: the money moved, or was released, or the
 * contribution is in the CRM. The others (still pending, damaged, held for review, unknown to the
 * processor) may come back through the pending queue as a new attempt and must not be dropped.
 */
const SETTLING_OUTCOMES: ReadonlySet<OrphanOutcome> = new Set<OrphanOutcome>(['completed', 'approved', 'finished', 'cancelled', 'already-imported', 'refunded', 'settled']);

/** A run without a time limit holds a gateway's lease this long (seconds); every lease gets the margin on top. */
const LEASE_SECONDS_WITHOUT_LIMIT = 900;
const LEASE_MARGIN_SECONDS = 120;

/** One row: settle it with the processor; any error but an outage goes to `damaged`. */
async function attemptRow(
  deps: RectifierDeps,
  adapter: ProcessorAdapter,
  row: PendingRecord,
  options: RectifyOptions,
  logger: Logger,
  run: GatewayRun,
): Promise<OrphanOutcome> {
  try {
    return await settleRow(deps, adapter, row, options, run);
  } catch (error) {
    if (error instanceof InfrastructureError) throw error;
    const context = { queue: options.pendingQueue, damagedStore: deps.damagedStore, retryPolicy: deps.retryPolicy, logger, now: options.now ?? (() => new Date()) };
    // Marked as a new attempt of the order: requeued, it is a message of its own (a new
    // message_key), not a redelivery of the row it was, which mark-resolved mode keeps.
    const body = { ...row.message, [REQUEUED_FROM_KEY]: String(row.id) };
    const stored = await storeFailure(context, { body: JSON.stringify(body), parsed: body, originalDate: row.date, messageId: `pending:${row.id}` }, toError(error));
    if (error instanceof HeldForReviewError) {
      // Ids only: the order is findable in `damaged`, the donor is not in the log.
      logger.warn({ gateway: row.gateway, orderId: row.orderId, pendingId: row.id }, 'order held for fraud review: not approved or captured, left in damaged for people');
      return 'held-for-review';
    }
    return stored === 'retryScheduled' ? 'retry-scheduled' : 'damaged';
  }
}

async function settleRow(deps: RectifierDeps, gatewayAdapter: ProcessorAdapter, row: PendingRecord, options: RectifyOptions, run: GatewayRun): Promise<OrphanOutcome> {
  const payment: OrphanPayment = { gateway: row.gateway, orderId: row.orderId, gatewayTxnId: row.gatewayTxnId, message: row.message };
  const account = typeof row.message.gateway_account === 'string' ? row.message.gateway_account : row.gatewayAccount;
  const adapter = account ? deps.adapters.get(row.gateway, account) : gatewayAdapter;
  if (!adapter) throw new UnsupportedActionError(`no processor account ${account} is configured for gateway ${row.gateway} (PROCESSOR_ACCOUNTS)`);
  if (!settlesMethod(adapter, row.paymentMethod ?? row.message.payment_method)) {
    throw new UnsupportedActionError(`the ${adapter.kind} adapter of gateway ${row.gateway} does not settle this payment method`);
  }
  if (await isAlreadyImported(deps.trackingDb, row.message)) {
    if (can(adapter, 'cancel')) await processor(adapter, () => adapter.cancel!(payment));
    return 'already-imported';
  }
  const status = await processor(adapter, () => adapter.getStatus(payment));
  run.processorStatuses[status.status] = (run.processorStatuses[status.status] ?? 0) + 1;
  switch (status.status) {
    case 'complete':
      await pushDonation(deps, options, row, status, {});
      return 'completed';
    case 'needs-approval':
      await checkAntifraud(deps.db, row, status);
      await pushDonation(deps, options, row, status, await processor(adapter, () => act(adapter, 'approve', payment, status)));
      return 'approved';
    case 'needs-finishing':
      await checkAntifraud(deps.db, row, status);
      await pushDonation(deps, options, row, status, await processor(adapter, () => act(adapter, 'finish', payment, status)));
      return 'finished';
    case 'failed':
    case 'cancelled':
    case 'revised':
      if (can(adapter, 'cancel')) await processor(adapter, () => adapter.cancel!(payment, status));
      return 'cancelled';
    case 'refunded':
      return 'refunded';
    case 'discard':
      return 'discarded';
    case 'pending':
      return 'left-pending';
  }
}

/** One call to the processor: an outage there (an InfrastructureError of its adapter) stops its gateway only. */
async function processor<T>(adapter: ProcessorAdapter, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (error instanceof InfrastructureError && !(error instanceof ProcessorDownError)) {
      throw new ProcessorDownError(error.message, { cause: error });
    }
    throw error;
  }
}

/**
 * Before any approve or capture: the payments-init outcome of the order (the antifraud decision
 * made from the risk score when the donor paid) must be `process`, or absent (no outcome was
 * reported; the legacy rectifier proceeded too). Anything else, `review` above all, is for people.
 */
async function checkAntifraud(db: Db, row: PendingRecord, status: StatusResult): Promise<void> {
  if (row.orderId === null) return;
  const outcome = await withDatabase('read payments_initial', () => new PaymentsInitialStore(db).fetch(row.gateway, row.orderId!));
  const action = outcome?.validationAction ?? null;
  if (action !== null && action !== 'process') {
    throw new HeldForReviewError(
      `payments-init validation_action is ${action}: the ${status.status} payment is neither approved nor captured by the rectifier; a person decides`,
    );
  }
}

async function act(adapter: ProcessorAdapter, action: Exclude<Capability, 'cancel'>, payment: OrphanPayment, status: StatusResult): Promise<CompletionResult> {
  if (!can(adapter, action)) {
    throw new UnsupportedActionError(`the ${adapter.kind} adapter cannot ${action}, but the payment is in status ${status.status}`);
  }
  return adapter[action]!(payment, status);
}

/**
 * A contribution is already imported when its tracking row has a contribution id: the donation
 * reached the CRM by another path, and this pending row is a leftover attempt. The row is read in
 * the tracking capability's database, not the pending one (§6: each may have its own).
 */
async function isAlreadyImported(db: Db, message: Record<string, unknown>): Promise<boolean> {
  const id = contributionTrackingIdOf(message);
  if (id === null) return false;
  const rows = await withDatabase('read contribution_tracking', () =>
    db.select({ contributionId: contributionTracking.contributionId }).from(contributionTracking).where(eq(contributionTracking.id, id)).limit(1),
  );
  return rows[0]?.contributionId !== null && rows[0]?.contributionId !== undefined;
}

/** `contribution_tracking_id`, else the part of an `<id>.<sequence>` order id before the dot. */
export function contributionTrackingIdOf(message: Record<string, unknown>): number | null {
  const explicit = message.contribution_tracking_id;
  const text = explicit !== undefined ? String(explicit) : /^(\d+)\.\d+$/.exec(String(message.order_id ?? ''))?.[1];
  if (text === undefined || !/^\d+$/.test(text)) return null;
  const id = Number(text);
  return Number.isSafeInteger(id) ? id : null;
}

/** Pushes the donation: the pending message with what the processor reported merged in. */
async function pushDonation(deps: RectifierDeps, options: RectifyOptions, row: PendingRecord, status: StatusResult, completion: CompletionResult): Promise<void> {
  const donation: Record<string, unknown> = { ...row.message };
  delete donation.pending_id;
  delete donation[REQUEUED_FROM_KEY];
  const txn = completion.gatewayTxnId ?? status.gatewayTxnId;
  if (txn !== undefined) donation.gateway_txn_id = txn;
  const gatewayStatus = completion.gatewayStatus ?? status.gatewayStatus;
  if (gatewayStatus !== undefined) donation.gateway_status = gatewayStatus;
  await deps.backend.push(options.donationsQueue, donation, { sourceType: 'payments' });
}

/** Turns an outage into RectifierStoppedError with a message saying what stopped and what stays. */
async function stopOnInfrastructure<T>(gateway: string, rowId: number | null, operation: () => Promise<T>): Promise<T> {
  try {
    return await operation();
  } catch (error) {
    if (!(error instanceof InfrastructureError) || error instanceof RectifierStoppedError) throw error;
    const where = rowId === null ? '' : `; pending row ${rowId} stays for the next run`;
    throw new RectifierStoppedError(`rectify-orphans stopped at gateway ${gateway}: ${error.message}${where}`, { cause: error });
  }
}
