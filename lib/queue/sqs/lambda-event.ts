/**
 * Runs a message handler over the records of an SQS event (a Lambda function triggered by an
 * SQS event source mapping with `functionResponseType: ReportBatchItemFailures`), with the
 * consumer runner's outcome rules (lib/consumer/settle.ts, shared, not copied):
 *
 * - success, a deliberate drop, a retryable or any other message error, a body that is not a
 *   JSON object: the message is settled (stored in `damaged` where the rules say so) and SQS
 *   deletes it, because it is not reported;
 * - an InfrastructureError (the database or the damaged store is down): the message is reported
 *   in `batchItemFailures`, SQS delivers it again after its visibility timeout, and after
 *   `maxReceiveCount` receives it lands in the dead-letter queue.
 *
 * On a FIFO queue the first failure also fails every later record of the batch, unprocessed:
 * SQS would otherwise deliver them again before the failed one, out of order.
 */
import { toError } from '../../errors';
import { createLogger, type Logger } from '../../log';
import type { DamagedStore } from '../../consumer/damaged-store';
import type { RetryPolicy } from '../../consumer/retry-policy';
import { parseBody, settleFailure, type SettleContext } from '../../consumer/settle';
import type { Delivery, MessageBody } from '../types';
import { withEnqueuedTime } from './enqueued-time';

/** The part of Lambda's SQS record we read (@types/aws-lambda is not a dependency). */
export interface SqsEventRecord {
  messageId: string;
  receiptHandle: string;
  body: string;
  attributes: {
    ApproximateReceiveCount?: string;
    SentTimestamp?: string;
    [name: string]: string | undefined;
  };
  messageAttributes?: Record<string, unknown>;
  md5OfBody?: string;
  eventSource?: string;
  eventSourceARN: string;
  awsRegion?: string;
}

/** Lambda's SQS event. */
export interface SqsEvent {
  Records: SqsEventRecord[];
}

/** The partial batch response Lambda understands with ReportBatchItemFailures. */
export interface SqsBatchResponse {
  batchItemFailures: { itemIdentifier: string }[];
}

/** Handles one parsed message; throws by the error taxonomy of lib/errors.ts. */
export type SqsMessageHandler = (body: MessageBody, delivery: Delivery) => Promise<void>;

export interface SqsBatchOptions {
  damagedStore: DamagedStore;
  retryPolicy: RetryPolicy;
  /** The logical queue name recorded in `damaged`; derived from the event source ARN otherwise. */
  queue?: string;
  /** Stage prefix stripped from the SQS queue name when the logical name is derived. */
  queuePrefix?: string;
  logger?: Logger;
  now?: () => Date;
}

/**
 * Settles every record of `event` and reports the ones SQS must deliver again; resolves (never
 * rejects) so that Lambda deletes everything else.
 */
export async function handleSqsBatch(event: SqsEvent, handleMessage: SqsMessageHandler, options: SqsBatchOptions): Promise<SqsBatchResponse> {
  const failures: { itemIdentifier: string }[] = [];
  const records = event.Records ?? [];
  const logger = options.logger ?? createLogger({ component: 'sqs-event' });
  let failFromHere = false;
  for (const record of records) {
    const queue = options.queue ?? logicalQueueName(record.eventSourceARN, options.queuePrefix);
    if (failFromHere) {
      failures.push({ itemIdentifier: record.messageId });
      continue;
    }
    const context: SettleContext = {
      queue,
      damagedStore: options.damagedStore,
      retryPolicy: options.retryPolicy,
      logger,
      now: options.now ?? (() => new Date()),
    };
    const delivery = deliveryOf(record, queue);
    let body: MessageBody | undefined;
    try {
      body = parseBody(delivery.body);
      await handleMessage(body, delivery);
    } catch (thrown) {
      try {
        await settleFailure(context, delivery, body, thrown);
      } catch (infrastructure) {
        logger.error({ queue, messageId: record.messageId, error: toError(infrastructure).name }, 'message not settled; SQS will deliver it again');
        failures.push({ itemIdentifier: record.messageId });
        if (isFifoSource(record.eventSourceARN)) failFromHere = true;
      }
    }
  }
  return { batchItemFailures: failures };
}

/** The contract's Delivery for a Lambda record, so handlers see the same shape as with the runner. */
export function deliveryOf(record: SqsEventRecord, queue: string): Delivery {
  const enqueuedAt = Number(record.attributes?.SentTimestamp ?? Date.now());
  return {
    id: record.messageId,
    // As SqsQueueBackend delivers it: source_enqueued_time from SQS's clock when the producer left it out.
    body: withEnqueuedTime(record.body, enqueuedAt),
    receipt: record.receiptHandle,
    receiveCount: Number(record.attributes?.ApproximateReceiveCount ?? 1),
    enqueuedAt,
    queue,
  };
}

/** `arn:aws:sqs:region:account:dev-pending.fifo` with prefix `dev-` → `pending`. */
export function logicalQueueName(arn: string, prefix?: string): string {
  let name = arn.split(':').pop() ?? arn;
  if (name.endsWith('.fifo')) name = name.slice(0, -'.fifo'.length);
  if (prefix && name.startsWith(prefix)) name = name.slice(prefix.length);
  return name;
}

function isFifoSource(arn: string): boolean {
  return arn.endsWith('.fifo');
}
