/**
 * `consume-payments-init-sqs`, triggered by the SQS event source mapping of the `payments-init`
 * queue (stages with param queueBackend `sqs`; serverless/consumers-sqs.yml), with
 * ReportBatchItemFailures.
 *
 * Upserts each outcome into payments_initial and deletes the pending rows of failed orders, as
 * `consume-payments-init` does. Records whose write met a database outage are reported for
 * redelivery; everything else is settled and deleted.
 */
import { consumePaymentsInitSqsJob } from '../lib/pending/jobs';
import { damagedStoreClient } from '../lib/runtime/clients/damaged-store';
import { pendingDbClient } from '../lib/runtime/clients/database';
import { createHandler } from '../lib/runtime/handler-runtime';

export const handler = createHandler('consume-payments-init-sqs', consumePaymentsInitSqsJob, { db: pendingDbClient, damagedStore: damagedStoreClient });
