/**
 * Trigger: the SQS event source mapping of the `contribution-tracking` queue (stages with param
 * queueBackend `sqs`; serverless/consumers-sqs.yml), with ReportBatchItemFailures.
 * Guarantee: the event's records are written in one transaction to the event log and the
 * `contribution_tracking` summary; malformed and conflicting ones go to `damaged`, duplicates are
 * dropped; when the database is down every record is reported and SQS delivers it again.
 */
import { damagedStoreClient } from '../lib/runtime/clients/damaged-store';
import { trackingPoolClient } from '../lib/runtime/clients/database';
import { createHandler } from '../lib/runtime/handler-runtime';
import { consumeContributionTrackingSqsJob } from '../lib/tracking/jobs';

export const handler = createHandler('consume-contribution-tracking-sqs', consumeContributionTrackingSqsJob, { pool: trackingPoolClient, damagedStore: damagedStoreClient });
