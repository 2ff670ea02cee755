/**
 * The payments-init consumer: each message (the final outcome of a payment attempt) is upserted
 * into `payments_initial`; when the attempt failed and nobody is reviewing it, the pending rows
 * of its order are deleted, since no donor will come back for them.
 *
 * Messages are handled in batches, as the pending consumer's are (lib/pending/consume-pending.ts):
 * one multi-row upsert and one DELETE of the failed orders' rows per batch. A batch the database
 * refuses is upserted row by row, so that one bad row goes to `damaged` alone; a database that is
 * down stops the run with the batch back in the queue.
 */
import { runBatchConsumer, type BatchFailures, type BatchMessage, type ConsumerCounts } from '../consumer/run-batch-consumer';
import { databaseAnswers, type Db } from '../db/client';
import { InfrastructureError } from '../errors';
import type { Logger } from '../log';
import type { PendingPipelineDeps } from './consume-pending';
import { orderKey, pendingRowsObsolete, parsePaymentsInitMessage, PaymentsInitialStore, type PaymentsInitMessage } from './payments-initial-store';
import { PendingStore } from './pending-store';

export interface ConsumePaymentsInitOptions {
  queue: string;
  timeLimitSeconds: number;
  messageLimit: number;
  batchSize: number;
}

/** Consumes the payments-init queue until a limit is reached or the queue is empty. */
export function consumePaymentsInit(deps: PendingPipelineDeps, options: ConsumePaymentsInitOptions): Promise<ConsumerCounts> {
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
    handleBatch: paymentsInitBatchHandler(deps),
  });
}

/**
 * The batch step both consumers (scheduled and SQS-triggered) run, idempotent: a redelivery
 * upserts the same row and deletes nothing more. Reports per message what failed (malformed,
 * refused row).
 */
export function paymentsInitBatchHandler(deps: { db: Db; logger?: Logger }): (messages: BatchMessage[]) => Promise<BatchFailures> {
  const paymentsInitial = new PaymentsInitialStore(deps.db);
  const pendingStore = new PendingStore(deps.db);
  return async (messages) => {
    const failures: BatchFailures = new Map();
    const valid: Array<{ id: string; message: PaymentsInitMessage }> = [];
    for (const { body, delivery } of messages) {
      try {
        valid.push({ id: delivery.id, message: parsePaymentsInitMessage(body) });
      } catch (error) {
        failures.set(delivery.id, error);
      }
    }
    const written = await upsertBatch(paymentsInitial, valid, failures);
    // The pending rows go after the outcome is committed, never before or with it: the pending
    // consumer looks the outcome up after writing its rows, so either it finds this outcome or
    // this DELETE finds its rows (docs/architecture.md §7).
    const failed = new Map<string, { gateway: string; orderId: string }>();
    for (const { message } of written) {
      if (pendingRowsObsolete(message)) failed.set(orderKey(message.gateway, message.order_id), { gateway: message.gateway, orderId: message.order_id });
    }
    if (failed.size > 0) {
      const deleted = await pendingStore.deleteOrders([...failed.values()]);
      deps.logger?.info({ orders: failed.size, deleted }, 'payments failed: pending rows of their orders deleted');
    }
    return failures;
  };
}

/** Upserts the batch in one statement, or row by row when the server refuses it; resolves with what was written. */
async function upsertBatch(
  store: PaymentsInitialStore,
  valid: Array<{ id: string; message: PaymentsInitMessage }>,
  failures: BatchFailures,
): Promise<Array<{ id: string; message: PaymentsInitMessage }>> {
  if (valid.length === 0) return [];
  try {
    await store.upsertMany(valid.map(({ message }) => message));
    return valid;
  } catch (error) {
    if (error instanceof InfrastructureError) throw error;
  }
  const written: typeof valid = [];
  for (const entry of valid) {
    try {
      await store.upsert(entry.message);
      written.push(entry);
    } catch (error) {
      if (error instanceof InfrastructureError) throw error;
      failures.set(entry.id, error);
    }
  }
  return written;
}
