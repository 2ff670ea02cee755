/**
 * The pending pipeline's jobs as the scheduled functions run them: limits and queue names from
 * configuration, one call into the capability, counts out.
 */
import type { ConsumerCounts } from '../consumer/run-batch-consumer';
import { runSqsEventBatch, runSqsEventPerMessage } from '../consumer/run-sqs-event';
import type { SqsBatchResponse, SqsEvent } from '../queue/sqs/lambda-event';
import { pendingConfig, type PendingConfig } from './config';
import { consumePaymentsInit, paymentsInitHandler } from './consume-payments-init';
import { consumePending, storePendingBatch } from './consume-pending';
import { expirePending, type ExpirePendingResult } from './expire-pending';
import type { BaseRuntime } from '../handler-runtime';
import { PaymentsInitialStore } from './payments-initial-store';
import { PendingStore } from './pending-store';

function deps(runtime: BaseRuntime) {
  return {
    backend: runtime.backend,
    db: runtime.database.db,
    damagedStore: runtime.damagedStore,
    retryPolicy: runtime.retryPolicy,
    logger: runtime.logger,
  };
}

/** `consume-pending`: the pending queue into the pending table. */
export function consumePendingJob(runtime: BaseRuntime, config: PendingConfig = pendingConfig()): Promise<ConsumerCounts> {
  return consumePending(deps(runtime), {
    queue: config.PENDING_QUEUE,
    timeLimitSeconds: config.CONSUME_PENDING_TIME_LIMIT_SECONDS,
    messageLimit: config.CONSUME_PENDING_MESSAGE_LIMIT,
    batchSize: config.CONSUME_PENDING_BATCH_SIZE,
  });
}

/**
 * `consume-pending-sqs`: the records of one SQS event into the pending table as one batch of the
 * scheduled consumer (one payments_initial lookup, one multi-row INSERT), each then settled by the
 * consumer runner's rules; records whose write hit a database outage are reported for redelivery.
 */
export function consumePendingSqsEvent(runtime: BaseRuntime, event: SqsEvent, config: PendingConfig = pendingConfig()): Promise<SqsBatchResponse> {
  const pendingStore = new PendingStore(runtime.database.db);
  const paymentsInitial = new PaymentsInitialStore(runtime.database.db);
  return runSqsEventBatch(event, (messages) => storePendingBatch(messages, pendingStore, paymentsInitial), {
    damagedStore: runtime.damagedStore,
    retryPolicy: runtime.retryPolicy,
    logger: runtime.logger,
    queue: config.PENDING_QUEUE,
  });
}

/**
 * `consume-payments-init-sqs`: the records of one SQS event into payments_initial, one at a time as
 * `consume-payments-init` does (each is an upsert and maybe a delete of its own; no batch form).
 */
export function consumePaymentsInitSqsEvent(runtime: BaseRuntime, event: SqsEvent, config: PendingConfig = pendingConfig()): Promise<SqsBatchResponse> {
  const handle = paymentsInitHandler(new PaymentsInitialStore(runtime.database.db), new PendingStore(runtime.database.db), runtime.logger);
  return runSqsEventPerMessage(event, handle, {
    damagedStore: runtime.damagedStore,
    retryPolicy: runtime.retryPolicy,
    logger: runtime.logger,
    queue: config.PAYMENTS_INIT_QUEUE,
  });
}

/** `consume-payments-init`: the payments-init queue into payments_initial. */
export function consumePaymentsInitJob(runtime: BaseRuntime, config: PendingConfig = pendingConfig()): Promise<ConsumerCounts> {
  return consumePaymentsInit(deps(runtime), {
    queue: config.PAYMENTS_INIT_QUEUE,
    timeLimitSeconds: config.CONSUME_PAYMENTS_INIT_TIME_LIMIT_SECONDS,
    messageLimit: config.CONSUME_PAYMENTS_INIT_MESSAGE_LIMIT,
  });
}

/** `expire-pending`: rows older than EXPIRE_PENDING_DAYS deleted or marked resolved. */
export function expirePendingJob(runtime: BaseRuntime, config: PendingConfig = pendingConfig()): Promise<ExpirePendingResult> {
  return expirePending(
    runtime.database.db,
    {
      days: config.EXPIRE_PENDING_DAYS,
      gateway: config.EXPIRE_PENDING_GATEWAY,
      mode: config.PENDING_RESOLVE_MODE,
      batchSize: config.EXPIRE_PENDING_BATCH_SIZE,
      timeLimitSeconds: config.EXPIRE_PENDING_TIME_LIMIT_SECONDS,
      rowLimit: config.EXPIRE_PENDING_ROW_LIMIT,
    },
    runtime.logger,
  );
}
