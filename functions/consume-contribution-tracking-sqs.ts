/**
 * Trigger: the SQS event source mapping of the `contribution-tracking` queue (stages with param
 * queueBackend `sqs`; serverless/consumers-sqs.yml), with ReportBatchItemFailures.
 * Guarantee: the event's records are written in one transaction to the event log and the
 * `contribution_tracking` summary; malformed and conflicting ones go to `damaged`, duplicates are
 * dropped; when the database is down every record is reported and SQS delivers it again.
 */
import { createHandlerRuntime } from '../lib/handler-runtime';
import type { SqsEvent } from '../lib/queue/sqs/lambda-event';
import { consumeContributionTrackingSqsJob } from '../lib/tracking/consumer';

const runtime = createHandlerRuntime('consume-contribution-tracking-sqs');

export const handler = async (event: SqsEvent) => runtime.run((base) => consumeContributionTrackingSqsJob(base, event));
