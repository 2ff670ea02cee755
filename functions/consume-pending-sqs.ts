/**
 * `consume-pending-sqs`, triggered by the SQS event source mapping of the `pending` queue (stages
 * with param queueBackend `sqs`; serverless/consumers-sqs.yml), with ReportBatchItemFailures.
 *
 * Stores each record as `consume-pending` does (failed payments dropped, bad messages in damaged).
 * Records whose write met a database outage are reported in batchItemFailures: SQS delivers them
 * again, and past maxReceiveCount moves them to the DLQ (collect-dead-letters empties it).
 */
import { consumePendingSqsEvent } from '../lib/pending/jobs';
import { createRuntimeHolder } from '../lib/pending/runtime';
import type { SqsEvent } from '../lib/queue/sqs/sqs-event';

const runtime = createRuntimeHolder('consume-pending-sqs');

export const handler = async (event: SqsEvent) => runtime.run((clients) => consumePendingSqsEvent(clients, event));
