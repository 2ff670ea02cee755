/**
 * `consume-pending-sqs`, triggered by the SQS event source mapping of the `pending` queue (stages
 * with param queueBackend `sqs`; serverless/consumers-sqs.yml), with ReportBatchItemFailures.
 *
 * Stores the event's records as one batch of `consume-pending` (one multi-row INSERT; failed
 * payments dropped, bad messages in damaged).
 * Records whose write met a database outage are reported in batchItemFailures: SQS delivers them
 * again, and past maxReceiveCount moves them to the DLQ (collect-dead-letters empties it).
 */
import { consumePendingSqsEvent } from '../lib/pending/jobs';
import { createHandlerRuntime } from '../lib/handler-runtime';
import type { SqsEvent } from '../lib/queue/sqs/lambda-event';

const runtime = createHandlerRuntime('consume-pending-sqs');

export const handler = async (event: SqsEvent) => runtime.run((base) => consumePendingSqsEvent(base, event));
