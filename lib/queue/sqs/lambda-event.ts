/**
 * Lambda's SQS event (an SQS event source mapping with `functionResponseType:
 * ReportBatchItemFailures`) as the queue contract sees it: a record becomes the same Delivery the
 * backend hands out, so a handler cannot tell a Lambda record from a lease. What is done with the
 * records (the outcome rules, `damaged`) belongs to the consumer runner, lib/consumer/run-sqs-event.ts.
 */
import type { Delivery } from '../types';
import { ENQUEUED_AT_ATTRIBUTE, sqsDelivery } from './enqueued-time';

/** The part of Lambda's SQS record we read (@types/aws-lambda is not a dependency). */
export interface SqsEventRecord {
  messageId: string;
  receiptHandle: string;
  body: string;
  attributes: {
    ApproximateReceiveCount?: string;
    SentTimestamp?: string;
    /** FIFO queues: the record's message group (a partitioned queue's key). */
    MessageGroupId?: string;
    [name: string]: string | undefined;
  };
  /** As Lambda spells them: `{ name: { stringValue, dataType } }`. */
  messageAttributes?: Record<string, { stringValue?: string; dataType?: string } | undefined>;
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

/** The contract's Delivery for a Lambda record, so handlers see the same shape as with the runner. */
export function deliveryOf(record: SqsEventRecord, queue: string): Delivery {
  return sqsDelivery(queue, {
    id: record.messageId,
    receipt: record.receiptHandle,
    body: record.body,
    receiveCount: record.attributes?.ApproximateReceiveCount,
    sentTimestamp: record.attributes?.SentTimestamp,
    // Lambda spells message attributes in camelCase (stringValue), the SDK in PascalCase.
    originalEnqueuedAt: record.messageAttributes?.[ENQUEUED_AT_ATTRIBUTE]?.stringValue,
    messageGroupId: record.attributes?.MessageGroupId,
  });
}

/** `arn:aws:sqs:region:account:dev-pending.fifo` with prefix `dev-` → `pending`. */
export function logicalQueueName(arn: string, prefix?: string): string {
  let name = arn.split(':').pop() ?? arn;
  if (name.endsWith('.fifo')) name = name.slice(0, -'.fifo'.length);
  if (prefix && name.startsWith(prefix)) name = name.slice(prefix.length);
  return name;
}

/** True for a record of a FIFO queue, whose later records of the same group must not overtake a failed one. */
export function isFifoSource(arn: string): boolean {
  return arn.endsWith('.fifo');
}
