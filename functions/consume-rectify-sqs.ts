/**
 * `consume-rectify-sqs`, triggered by the SQS event source mapping of the `rectify` queue (stages with
 * param queueBackend `sqs`; serverless/consumers-sqs.yml), with ReportBatchItemFailures.
 *
 * Runs the rectifier for the gateways whose delayed triggers fell due (SQS holds each at most 15
 * minutes; one not yet due is pushed again with what remains). rectify-orphans' schedule stays as the
 * safety net. A database or queue outage fails the event's records, which SQS delivers again.
 */
import { consumeRectifySqsJob } from '../lib/rectifier/jobs';
import { damagedStoreClient } from '../lib/runtime/clients/damaged-store';
import { pendingDbClient, trackingDbClient } from '../lib/runtime/clients/database';
import { queueBackendClient } from '../lib/runtime/clients/queue-backend';
import { createHandler } from '../lib/runtime/handler-runtime';

export const handler = createHandler('consume-rectify-sqs', consumeRectifySqsJob, { db: pendingDbClient, trackingDb: trackingDbClient, backend: queueBackendClient, damagedStore: damagedStoreClient });
