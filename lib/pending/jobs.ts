/**
 * The pending pipeline's jobs as its functions run them (lib/job.ts): limits and queue names from
 * configuration, one call into the capability, counts out.
 */
import type { DamagedStore } from '../consumer/damaged-store';
import { configuredRetryPolicy } from '../consumer/retry-policy';
import { runSqsEventBatch } from '../consumer/run-sqs-event';
import type { Db } from '../db/client';
import { defineJob } from '../job';
import type { Logger } from '../log';
import type { SqsBatchResponse, SqsEvent } from '../queue/sqs/lambda-event';
import type { QueueBackend } from '../queue/types';
import type { HttpRequest, HttpResponse } from '../http';
import { pendingConfig, pendingEndpointConfig } from './config';
import { consumePaymentsInit, paymentsInitBatchHandler } from './consume-payments-init';
import { consumePending, pendingBatchHandler, type PendingPipelineDeps } from './consume-pending';
import { expirePending, type ExpirePendingResult } from './expire-pending';
import { handlePendingRequest } from './http-endpoint';
import type { TriggerOptions } from './rectify-trigger';
import { PendingStore } from './pending-store';
import { SettledOrdersStore } from './settled-orders-store';

/** What the SQS-triggered consumers use: Lambda receives and deletes, so no queue backend to consume with. */
export interface PendingSqsEventDeps {
  db: Db;
  damagedStore: DamagedStore;
  logger: Logger;
}

/** What the scheduled consumers use; the retry policy is configuration, in their options. */
type ConsumerJobDeps = Omit<PendingPipelineDeps, 'retryPolicy'>;

/**
 * Reads the options of the rectify triggers, undefined when they are off. Which gateways are
 * rectified and when a row becomes an orphan are the rectifier's configuration, and the rectifier
 * sits above this capability, so the consume-pending handlers pass the reader in
 * (lib/rectifier/jobs.ts, `rectifyTriggerOptions`).
 */
export type TriggerOptionsReader = () => TriggerOptions | undefined;

/** `consume-pending`: the pending queue into the pending table, each batch's rows then triggering the rectifier. */
export function consumePendingJob(triggerOptions: TriggerOptionsReader) {
  return defineJob({
    options: () => consumePendingOptions(triggerOptions),
    run: (deps: ConsumerJobDeps, { retryPolicy, ...options }) => consumePending({ ...deps, retryPolicy }, options),
  });
}

function consumePendingOptions(triggerOptions: TriggerOptionsReader) {
  const config = pendingConfig();
  return {
    trigger: triggerOptions(),
    retryPolicy: configuredRetryPolicy(),
    queue: config.PENDING_QUEUE,
    timeLimitSeconds: config.CONSUME_PENDING_TIME_LIMIT_SECONDS,
    messageLimit: config.CONSUME_PENDING_MESSAGE_LIMIT,
    batchSize: config.CONSUME_PENDING_BATCH_SIZE,
    resolveMode: config.PENDING_RESOLVE_MODE,
  };
}

/** `consume-payments-init`: the payments-init queue into payments_initial. */
export const consumePaymentsInitJob = defineJob({
  options: consumePaymentsInitOptions,
  run: (deps: ConsumerJobDeps, { retryPolicy, ...options }) => consumePaymentsInit({ ...deps, retryPolicy }, options),
});

function consumePaymentsInitOptions() {
  const config = pendingConfig();
  return {
    retryPolicy: configuredRetryPolicy(),
    queue: config.PAYMENTS_INIT_QUEUE,
    timeLimitSeconds: config.CONSUME_PAYMENTS_INIT_TIME_LIMIT_SECONDS,
    messageLimit: config.CONSUME_PAYMENTS_INIT_MESSAGE_LIMIT,
    batchSize: config.CONSUME_PAYMENTS_INIT_BATCH_SIZE,
  };
}

/**
 * `consume-pending-sqs`: the records of one SQS event into the pending table as one batch of the
 * scheduled consumer (one payments_initial lookup, one multi-row INSERT), each then settled by the
 * consumer runner's rules; records whose write hit a database outage are reported for redelivery.
 * Its queue backend only sends (the rectify triggers).
 */
export function consumePendingSqsJob(triggerOptions: TriggerOptionsReader) {
  return defineJob({
    options: () => {
      const { trigger, resolveMode } = consumePendingOptions(triggerOptions);
      return { ...sqsEventOptions(pendingConfig().PENDING_QUEUE), resolveMode, trigger };
    },
    run: ({ db, backend, damagedStore, logger }: PendingSqsEventDeps & { backend: QueueBackend }, { resolveMode, trigger, ...options }, event: SqsEvent): Promise<SqsBatchResponse> =>
      runSqsEventBatch(event, pendingBatchHandler({ db, backend }, { resolveMode, trigger }), { ...options, damagedStore, logger }),
  });
}

/**
 * `consume-payments-init-sqs`: the records of one SQS event into payments_initial as one batch of
 * the scheduled consumer (one multi-row upsert, one DELETE of the failed orders' pending rows),
 * each then settled by the consumer runner's rules.
 */
export const consumePaymentsInitSqsJob = defineJob({
  options: () => sqsEventOptions(pendingConfig().PAYMENTS_INIT_QUEUE),
  run: ({ db, damagedStore, logger }: PendingSqsEventDeps, options, event: SqsEvent): Promise<SqsBatchResponse> =>
    runSqsEventBatch(event, paymentsInitBatchHandler({ db, logger }), { ...options, damagedStore, logger }),
});

function sqsEventOptions(queue: string) {
  return { queue, retryPolicy: configuredRetryPolicy() };
}

/** `expire-pending`: rows older than EXPIRE_PENDING_DAYS deleted or marked resolved. */
export const expirePendingJob = defineJob({
  options: expirePendingOptions,
  run: ({ db, logger }: { db: Db; logger: Logger }, options): Promise<ExpirePendingResult> => expirePending(db, options, logger),
});

function expirePendingOptions() {
  const config = pendingConfig();
  return {
    days: config.EXPIRE_PENDING_DAYS,
    gateway: config.EXPIRE_PENDING_GATEWAY,
    mode: config.PENDING_RESOLVE_MODE,
    batchSize: config.EXPIRE_PENDING_BATCH_SIZE,
    timeLimitSeconds: config.EXPIRE_PENDING_TIME_LIMIT_SECONDS,
    rowLimit: config.EXPIRE_PENDING_ROW_LIMIT,
  };
}

/**
 * `pending-orders`: the signed HTTP endpoint that settles an order (`POST /pending/complete`) and
 * gives an order's rows to the CRM (`GET /pending/{gateway}/{orderId}`).
 */
export const pendingOrdersRequestJob = defineJob({
  options: () => {
    const endpoint = pendingEndpointConfig();
    return {
      keys: { current: endpoint.PENDING_HMAC_SECRET, previous: endpoint.PENDING_HMAC_SECRET_PREVIOUS },
      toleranceSeconds: endpoint.PENDING_SIGNATURE_TOLERANCE_SECONDS,
      resolveMode: pendingConfig().PENDING_RESOLVE_MODE,
    };
  },
  run: ({ db, logger }: { db: Db; logger: Logger }, options, request: HttpRequest): Promise<HttpResponse> =>
    handlePendingRequest(request, { ...options, store: new PendingStore(db), settled: new SettledOrdersStore(db), logger }),
});
