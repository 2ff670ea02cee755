/**
 * The pending consumer: every message of the `pending` queue becomes a row of the pending
 * table, unless `payments_initial` already shows the payment failed (and nobody is reviewing
 * it), in which case the message is acked and logged, not stored (a deliberate drop).
 *
 * A message with `pending_action: "complete"` settles its order instead (lib/pending/complete-order.ts):
 * every pending row of (gateway, order id) is resolved, after the batch's rows are stored, so a
 * completion pushed after its pending message settles it even when both arrive in one batch; a
 * pending message of an order settled before is dropped (`pending_settled`), so one that arrives
 * after its completion does not bring the order back for the rectifier.
 *
 * Messages are handled in batches: one multi-row INSERT and one lookup in `payments_initial` and
 * `pending_settled` (one statement, lib/pending/order-lookup.ts) per batch. A batch the database refuses is retried row by
 * row, so that one bad row goes to `damaged` alone; a database that is down stops the run with the
 * batch back in the queue.
 */
import { withDatabase } from '../db/transaction';
import { runBatchConsumer, type BatchFailures, type BatchMessage, type ConsumerCounts } from '../consumer/run-batch-consumer';
import type { DamagedStore } from '../consumer/damaged-store';
import type { RetryPolicy } from '../consumer/retry-policy';
import { databaseAnswers, type Db } from '../db/client';
import { DropMessageError, InfrastructureError } from '../errors';
import type { Logger } from '../log';
import type { MessageBody, QueueBackend } from '../queue/types';
import { normalisePendingMessage, type PendingMessage } from './normalise-message';
import { isCompletionMessage, parseSettledOrder, settleOrders, type SettledOrder } from './complete-order';
import { OrderOutcomesLookup } from './order-lookup';
import { orderKey } from './payments-initial-store';
import { PendingStore, preparePendingRows, type ResolveMode } from './pending-store';
import { pushTriggers, triggersFor, type TriggerOptions } from './rectify-trigger';
import { SettledOrdersStore } from './settled-orders-store';

export interface PendingPipelineDeps {
  backend: QueueBackend;
  db: Db;
  damagedStore: DamagedStore;
  retryPolicy: RetryPolicy;
  logger?: Logger;
}

export interface ConsumePendingOptions {
  queue: string;
  timeLimitSeconds: number;
  messageLimit: number;
  batchSize: number;
  /** What a completion message does with its order's rows (PENDING_RESOLVE_MODE). */
  resolveMode: ResolveMode;
  /** When set, each batch's stored rows get a delayed rectify trigger per gateway (lib/pending/rectify-trigger.ts). */
  trigger?: TriggerOptions;
}

/** Imports the pending queue into the pending table until a limit is reached or the queue is empty. */
export function consumePending(deps: PendingPipelineDeps, options: ConsumePendingOptions): Promise<ConsumerCounts> {
  return runBatchConsumer({
    backend: deps.backend,
    queue: options.queue,
    timeLimitSeconds: options.timeLimitSeconds,
    messageLimit: options.messageLimit,
    batchSize: options.batchSize,
    damagedStore: deps.damagedStore,
    retryPolicy: deps.retryPolicy,
    logger: deps.logger,
    dependenciesReachable: () => databaseAnswers(deps.db),
    handleBatch: pendingBatchHandler(deps, options),
    prepareBatch: preparePendingBatch,
  });
}

/** Pending messages normalised ahead (preparePendingBatch), by the parsed body they came from. */
const normalisedAhead = new WeakMap<MessageBody, PendingMessage>();

/**
 * The CPU work of storing a batch, done for a batch leased ahead while the batch before waits for
 * the database: each pending message normalised, its row's values (key hash, JSON) made.
 * storePendingBatch then takes them as they are; what fails here is left to it.
 */
export function preparePendingBatch(messages: BatchMessage[]): void {
  const normalised: PendingMessage[] = [];
  for (const { body } of messages) {
    if (isCompletionMessage(body)) continue;
    try {
      const message = normalisePendingMessage(body);
      normalisedAhead.set(body, message);
      normalised.push(message);
    } catch {
      // Malformed: storePendingBatch finds it again and reports it.
    }
  }
  preparePendingRows(normalised);
}

/**
 * The batch step both consumers (scheduled and SQS-triggered) run: store the batch, apply its
 * completions, then push the batch's rectify triggers. After the rows are in: a failed push fails
 * the batch, whose redelivery stores nothing twice.
 */
export function pendingBatchHandler(
  deps: { db: Db; backend?: QueueBackend },
  options: Pick<ConsumePendingOptions, 'resolveMode' | 'trigger'>,
): (messages: BatchMessage[]) => Promise<BatchFailures> {
  const pendingStore = new PendingStore(deps.db);
  const outcomes = new OrderOutcomesLookup(deps.db);
  const settledStore = new SettledOrdersStore(deps.db);
  return async (messages) => {
    const stored: PendingMessage[] = [];
    const failures = await storePendingBatch(messages, pendingStore, outcomes, settledStore, options.resolveMode, stored);
    if (options.trigger && deps.backend) await pushTriggers(deps.backend, options.trigger.queue, triggersFor(stored, options.trigger));
    return failures;
  };
}

/**
 * Stores one batch, then applies its completions; reports per message what failed (malformed,
 * already failed, order already settled, refused row).
 */
export async function storePendingBatch(
  messages: BatchMessage[],
  pendingStore: PendingStore,
  outcomes: OrderOutcomesLookup,
  settledStore: SettledOrdersStore,
  resolveMode: ResolveMode,
  /** Filled with the messages stored as rows (for the rectify triggers). */
  stored: PendingMessage[] = [],
): Promise<BatchFailures> {
  const failures: BatchFailures = new Map();
  const valid: Array<{ id: string; message: PendingMessage }> = [];
  const completions: Array<{ id: string; order: SettledOrder }> = [];
  for (const { body, delivery } of messages) {
    try {
      if (isCompletionMessage(body)) completions.push({ id: delivery.id, order: parseSettledOrder(body) });
      else valid.push({ id: delivery.id, message: normalisedAhead.get(body) ?? normalisePendingMessage(body) });
    } catch (error) {
      failures.set(delivery.id, error);
    }
  }
  const inserts = valid.filter(({ message }) => message.pending_id === undefined);
  const updates = valid.filter(({ message }) => message.pending_id !== undefined);
  const written: typeof valid = [];
  if (inserts.length > 0) {
    try {
      await pendingStore.insertMany(inserts.map(({ message }) => message));
      written.push(...inserts);
    } catch (error) {
      if (error instanceof InfrastructureError) throw error;
      updates.push(...inserts); // a row was refused: find which, one by one
    }
  }
  for (const entry of updates) {
    try {
      await pendingStore.store(entry.message);
      written.push(entry);
    } catch (error) {
      if (error instanceof InfrastructureError) throw error;
      failures.set(entry.id, error);
    }
  }
  // Whether an order already failed or was settled is looked up after its rows are written, not
  // before: a failed outcome or a settlement that another consumer commits meanwhile deletes
  // what it finds, so either it finds these rows or this lookup finds its record (the soak drill
  // found rows of failed payments left behind when the lookup came first). Such rows go again.
  const ordersWritten = written.filter(({ message }) => message.order_id !== undefined).map(({ message }) => ({ gateway: message.gateway, orderId: message.order_id! }));
  // Both lookups in one statement: one round trip per batch.
  const { failed, settled } = await outcomes.lookUp(ordersWritten);
  const cleared = new Set<string>();
  for (const { id, message } of written) {
    const key = message.order_id === undefined ? undefined : orderKey(message.gateway, message.order_id);
    if (key !== undefined && failed.has(key)) {
      if (!cleared.has(key)) await pendingStore.deleteOrder(message.gateway, message.order_id!);
      cleared.add(key);
      failures.set(id, new DropMessageError(`payment of order ${message.order_id} (${message.gateway}) already failed; not kept`));
    } else if (key !== undefined && settled.has(key)) {
      if (!cleared.has(key)) await withDatabase('resolve pending rows of a settled order', () => pendingStore.resolveOrder(message.gateway, message.order_id!, resolveMode));
      cleared.add(key);
      failures.set(id, new DropMessageError(`order ${message.order_id} (${message.gateway}) is already settled; not kept`));
    } else {
      stored.push(message);
    }
  }
  // The batch's completions in two statements, not two per completion: about a quarter of the
  // pending queue is completions, and one by one they kept this consumer behind at 200/s (§12).
  const orders = completions.map(({ order }) => order);
  await withDatabase('settle pending orders', () => settleOrders({ pending: pendingStore, settled: settledStore }, orders, resolveMode));
  return failures;
}
