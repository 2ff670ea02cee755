/**
 * Trigger: schedule (serverless.yml, `consumeContributionTrackingSchedule`).
 * Guarantee: messages of the `contribution-tracking` queue are written, one transaction per
 * batch, to the event log and the `contribution_tracking` summary (with `contribution_source`);
 * malformed and conflicting messages go to `damaged`, duplicates are acked without a write.
 * When the database or the damaged store is down, nothing unsettled is acked and the
 * invocation fails. Limits: TRACKING_CONSUMER_TIME_LIMIT_SECONDS, _MESSAGE_LIMIT, _BATCH_SIZE.
 */
import { damagedStoreClient } from '../lib/runtime/clients/damaged-store';
import { trackingPoolClient } from '../lib/runtime/clients/database';
import { queueBackendClient } from '../lib/runtime/clients/queue-backend';
import { redisClient } from '../lib/runtime/clients/redis';
import { createHandler } from '../lib/runtime/handler-runtime';
import { consumeContributionTrackingJob } from '../lib/tracking/jobs';

export const handler = createHandler('consume-contribution-tracking', consumeContributionTrackingJob, { backend: queueBackendClient, pool: trackingPoolClient, redis: redisClient, damagedStore: damagedStoreClient });
