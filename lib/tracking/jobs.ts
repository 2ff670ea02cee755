/**
 * The contribution tracking consumers' jobs as their functions run them (lib/job.ts): queue, id
 * sequence and limits from configuration, one call into the capability. The HTTP endpoint's job
 * is in endpoint-job.ts, so that its bundle carries none of the consumers' database code.
 */
import type { Redis } from 'ioredis';
import { configuredRetryPolicy } from '../consumer/retry-policy';
import type { ConsumerCounts } from '../consumer/run-batch-consumer';
import { defineJob } from '../job';
import { definedPartitionSpec } from '../queue/partitions';
import type { SqsBatchResponse, SqsEvent } from '../queue/sqs/lambda-event';
import { trackingConfig } from './config';
import { consumeContributionTracking, consumeContributionTrackingSqsEvent, type TrackingConsumerOptions, type TrackingSqsEventOptions } from './consumer';

/** The clients the scheduled run uses. */
export type TrackingConsumerDeps = Pick<TrackingConsumerOptions, 'backend' | 'pool' | 'damagedStore' | 'logger'> & { redis: Redis };

/** `consume-contribution-tracking` as the scheduled function runs it: queue, sequence and limits from configuration. */
export const consumeContributionTrackingJob = defineJob({
  options: () => {
    const config = trackingConfig();
    return {
      retryPolicy: configuredRetryPolicy(),
      queue: config.TRACKING_QUEUE,
      partitionSpec: definedPartitionSpec(config.TRACKING_QUEUE),
      sequenceKey: config.TRACKING_ID_SEQUENCE_KEY,
      batchSize: config.TRACKING_CONSUMER_BATCH_SIZE,
      timeLimitSeconds: config.TRACKING_CONSUMER_TIME_LIMIT_SECONDS,
      messageLimit: config.TRACKING_CONSUMER_MESSAGE_LIMIT,
    };
  },
  run: (deps: TrackingConsumerDeps, options): Promise<ConsumerCounts> => consumeContributionTracking({ ...deps, ...options }),
});

/** `consume-contribution-tracking-sqs` as the function runs it: clients from the runtime, queue from configuration. */
export const consumeContributionTrackingSqsJob = defineJob({
  options: () => {
    const queue = trackingConfig().TRACKING_QUEUE;
    return { queue, partitionSpec: definedPartitionSpec(queue), retryPolicy: configuredRetryPolicy() };
  },
  run: (deps: Pick<TrackingSqsEventOptions, 'pool' | 'damagedStore' | 'logger'>, options, event: SqsEvent): Promise<SqsBatchResponse> =>
    consumeContributionTrackingSqsEvent(event, { ...deps, ...options }),
});
