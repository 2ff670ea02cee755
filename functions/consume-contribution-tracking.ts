/**
 * Trigger: schedule (serverless.yml, `consumeContributionTrackingSchedule`).
 * Guarantee: messages of the `contribution-tracking` queue are written, one transaction per
 * batch, to the event log and the `contribution_tracking` summary (with `contribution_source`);
 * malformed and conflicting messages go to `damaged`, duplicates are acked without a write.
 * When the database or the damaged store is down, nothing unsettled is acked and the
 * invocation fails. Limits: TRACKING_CONSUMER_TIME_LIMIT_SECONDS, _MESSAGE_LIMIT, _BATCH_SIZE.
 */
import { createHandlerRuntime } from '../lib/handler-runtime';
import { consumeContributionTrackingJob } from '../lib/tracking/consumer';

const runtime = createHandlerRuntime('consume-contribution-tracking');

export const handler = () => runtime.run(consumeContributionTrackingJob);
