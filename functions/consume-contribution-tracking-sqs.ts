/**
 * Trigger: the SQS event source mapping of the `contribution-tracking` queue (stages with param
 * queueBackend `sqs`; serverless/consumers-sqs.yml), with ReportBatchItemFailures.
 * Guarantee: the event's records are written in one transaction to the event log and the
 * `contribution_tracking` summary; malformed and conflicting ones go to `damaged`, duplicates are
 * dropped; when the database is down every record is reported and SQS delivers it again.
 */
import { consumerConfig } from '../lib/consumer/config';
import { createDamagedStore } from '../lib/consumer/damaged-store';
import { retryPolicyFromConfig } from '../lib/consumer/retry-policy';
import { endInvocation, openHandlerClients } from '../lib/handler-clients';
import { createLogger } from '../lib/log';
import type { SqsBatchResponse, SqsEvent } from '../lib/queue/sqs/sqs-event';
import { trackingConfig } from '../lib/tracking/config';
import { consumeContributionTrackingSqsEvent } from '../lib/tracking/consumer';

const clients = openHandlerClients();
const damagedStore = createDamagedStore(clients.database.db);
const logger = createLogger({ component: 'consume-contribution-tracking-sqs' });

export async function handler(event: SqsEvent): Promise<SqsBatchResponse> {
  try {
    return await consumeContributionTrackingSqsEvent(event, {
      pool: clients.database.pool,
      damagedStore,
      retryPolicy: retryPolicyFromConfig(consumerConfig()),
      logger,
      queue: trackingConfig().TRACKING_QUEUE,
    });
  } finally {
    await endInvocation(clients);
  }
}
