/**
 * Trigger: schedule (serverless.yml, `consumeContributionTrackingSchedule`).
 * Guarantee: messages of the `contribution-tracking` queue are written, one transaction per
 * batch, to the event log and the `contribution_tracking` summary (with `contribution_source`);
 * malformed and conflicting messages go to `damaged`, duplicates are acked without a write.
 * When the database or the damaged store is down, nothing unsettled is acked and the
 * invocation fails. Limits: TRACKING_CONSUMER_TIME_LIMIT, _MESSAGE_LIMIT, _BATCH_SIZE.
 */
import { consumerConfig } from '../lib/consumer/config';
import { createDamagedStore } from '../lib/consumer/damaged-store';
import { retryPolicyFromConfig } from '../lib/consumer/retry-policy';
import type { ConsumerCounts } from '../lib/consumer/run-batch-consumer';
import { coreConfig } from '../lib/config';
import { openDatabase } from '../lib/db/client';
import { createLogger } from '../lib/log';
import { createQueueBackend } from '../lib/queue';
import { trackingConfig } from '../lib/tracking/config';
import { consumeContributionTracking } from '../lib/tracking/consumer';
import { openTrackingRedis } from '../lib/tracking/redis-client';

const core = coreConfig();
const config = trackingConfig();
const redis = openTrackingRedis(core.REDIS_URL);
const backend = createQueueBackend(core.QUEUE_BACKEND === 'redis' ? { redis: { redis } } : {});
const database = openDatabase(core.DATABASE_URL, { connectionLimit: 2 });
const damagedStore = createDamagedStore(database.db);
const logger = createLogger({ component: 'consume-contribution-tracking' });

export async function handler(): Promise<ConsumerCounts> {
  return consumeContributionTracking({
    backend,
    pool: database.pool,
    redis,
    damagedStore,
    retryPolicy: retryPolicyFromConfig(consumerConfig()),
    logger,
    queue: config.TRACKING_QUEUE,
    sequenceKey: config.TRACKING_ID_SEQUENCE_KEY,
    batchSize: config.TRACKING_CONSUMER_BATCH_SIZE,
    timeLimitSeconds: config.TRACKING_CONSUMER_TIME_LIMIT,
    messageLimit: config.TRACKING_CONSUMER_MESSAGE_LIMIT,
  });
}
