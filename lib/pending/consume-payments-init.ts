/**
 * The payments-init consumer: each message (the final outcome of a payment attempt) is upserted
 * into `payments_initial`; when the attempt failed and nobody is reviewing it, the pending rows
 * of its order are deleted, since no donor will come back for them.
 */
import type { ConsumerCounts } from '../consumer/run-batch-consumer';
import { runConsumer } from '../consumer/run-consumer';
import type { Logger } from '../log';
import type { MessageBody } from '../queue/types';
import type { PendingPipelineDeps } from './consume-pending';
import { isFailedNotUnderReview, parsePaymentsInitMessage, PaymentsInitialStore } from './payments-initial-store';
import { PendingStore } from './pending-store';

export interface ConsumePaymentsInitOptions {
  queue: string;
  timeLimitSeconds: number;
  messageLimit: number;
}

/** Consumes the payments-init queue until a limit is reached or the queue is empty. */
export function consumePaymentsInit(deps: PendingPipelineDeps, options: ConsumePaymentsInitOptions): Promise<ConsumerCounts> {
  const handle = paymentsInitHandler(new PaymentsInitialStore(deps.db), new PendingStore(deps.db), deps.logger);
  return runConsumer({
    backend: deps.backend,
    queue: options.queue,
    timeLimitSeconds: options.timeLimitSeconds,
    messageLimit: options.messageLimit,
    damagedStore: deps.damagedStore,
    retryPolicy: deps.retryPolicy,
    logger: deps.logger,
    handler: handle,
  });
}

/** The per-message work, idempotent: a redelivery upserts the same row and deletes nothing more. */
export function paymentsInitHandler(paymentsInitial: PaymentsInitialStore, pendingStore: PendingStore, logger?: Logger) {
  return async (body: MessageBody): Promise<void> => {
    const message = parsePaymentsInitMessage(body);
    await paymentsInitial.upsert(message);
    if (isFailedNotUnderReview(message)) {
      const deleted = await pendingStore.deleteOrder(message.gateway, message.order_id);
      logger?.info({ gateway: message.gateway, orderId: message.order_id, deleted }, 'payment failed: pending rows of the order deleted');
    }
  };
}
