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
import { createLogger } from '../lib/log';
import { endTrackingInvocation, openTrackingClients } from '../lib/tracking/clients';
import { trackingConfig } from '../lib/tracking/config';
import { consumeContributionTracking } from '../lib/tracking/consumer';

const clients = openTrackingClients();
const damagedStore = createDamagedStore(clients.database.db);
const logger = createLogger({ component: 'consume-contribution-tracking' });

export async function handler(): Promise<ConsumerCounts> {
  const config = trackingConfig();
  try {
    return await consumeContributionTracking({
      backend: clients.backend,
      pool: clients.database.pool,
      redis: clients.redis,
      damagedStore,
      retryPolicy: retryPolicyFromConfig(consumerConfig()),
      logger,
      queue: config.TRACKING_QUEUE,
      sequenceKey: config.TRACKING_ID_SEQUENCE_KEY,
      batchSize: config.TRACKING_CONSUMER_BATCH_SIZE,
      timeLimitSeconds: config.TRACKING_CONSUMER_TIME_LIMIT,
      messageLimit: config.TRACKING_CONSUMER_MESSAGE_LIMIT,
    });
  } finally {
    await endTrackingInvocation(clients);
  }
}
