/**
 * `consume-pending-sqs`, triggered by the SQS event source mapping of the `pending` queue (stages
 * with param queueBackend `sqs`; serverless/consumers-sqs.yml), with ReportBatchItemFailures.
 *
 * Stores the event's records as one batch of `consume-pending` (one multi-row INSERT; failed
 * payments dropped, bad messages in damaged), then pushes the batch's delayed rectify triggers.
 * Records whose write met a database outage are reported in batchItemFailures: SQS delivers them
 * again, and past maxReceiveCount moves them to the DLQ (collect-dead-letters empties it).
 */
import { consumePendingSqsJob } from '../lib/pending/jobs';
import { rectifyTriggerOptions } from '../lib/rectifier/jobs';
import { damagedStoreClient } from '../lib/runtime/clients/damaged-store';
import { pendingDbClient } from '../lib/runtime/clients/database';
import { queueBackendClient } from '../lib/runtime/clients/queue-backend';
import { createHandler } from '../lib/runtime/handler-runtime';

export const handler = createHandler('consume-pending-sqs', consumePendingSqsJob(rectifyTriggerOptions), { db: pendingDbClient, damagedStore: damagedStoreClient, backend: queueBackendClient });
