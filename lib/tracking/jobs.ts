/**
 * The contribution tracking buffer's jobs as its functions run them (lib/job.ts): queue, id
 * sequence, limits and the endpoint's secret from configuration, one call into the capability.
 */
import type { Redis } from 'ioredis';
import { configuredRetryPolicy } from '../consumer/retry-policy';
import type { ConsumerCounts } from '../consumer/run-batch-consumer';
import { defineJob } from '../job';
import type { Logger } from '../log';
import { queueConfig } from '../queue/config';
import type { SqsBatchResponse, SqsEvent } from '../queue/sqs/lambda-event';
import type { QueueBackend } from '../queue/types';
import { trackingConfig, trackingEndpointConfig } from './config';
import { consumeContributionTracking, consumeContributionTrackingSqsEvent, type TrackingConsumerOptions, type TrackingSqsEventOptions } from './consumer';
import { handleTrackingRequest, type HttpRequest, type HttpResponse } from './http-endpoint';
import { createTrackingProducer } from './producer';

/** The clients the scheduled run uses. */
export type TrackingConsumerDeps = Pick<TrackingConsumerOptions, 'backend' | 'pool' | 'damagedStore' | 'logger'> & { redis: Redis };

/** `consume-contribution-tracking` as the scheduled function runs it: queue, sequence and limits from configuration. */
export const consumeContributionTrackingJob = defineJob({
  options: () => {
    const config = trackingConfig();
    return {
      retryPolicy: configuredRetryPolicy(),
      queue: config.TRACKING_QUEUE,
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
  options: () => ({ queue: trackingConfig().TRACKING_QUEUE, retryPolicy: configuredRetryPolicy() }),
  run: (deps: Pick<TrackingSqsEventOptions, 'pool' | 'damagedStore' | 'logger'>, options, event: SqsEvent): Promise<SqsBatchResponse> =>
    consumeContributionTrackingSqsEvent(event, { ...deps, ...options }),
});

/**
 * `track-contribution`: one signed HTTP request into the tracking queue. The queue backend sets
 * no per-queue sizes, so the tracking queue has the default maximum message size.
 */
export const trackContributionRequestJob = defineJob({
  options: () => {
    const { TRACKING_QUEUE, TRACKING_ID_SEQUENCE_KEY } = trackingConfig();
    const endpoint = trackingEndpointConfig();
    return {
      queue: TRACKING_QUEUE,
      sequenceKey: TRACKING_ID_SEQUENCE_KEY,
      keys: { current: endpoint.TRACKING_HMAC_SECRET, previous: endpoint.TRACKING_HMAC_SECRET_PREVIOUS },
      toleranceSeconds: endpoint.TRACKING_SIGNATURE_TOLERANCE_SECONDS,
      legacyUntil: new Date(endpoint.TRACKING_LEGACY_SIGNATURES_UNTIL),
      maxBodyBytes: queueConfig().QUEUE_MAX_MESSAGE_BYTES,
    };
  },
  run: ({ backend, redis, logger }: { backend: QueueBackend; redis: Redis; logger: Logger }, options, request: HttpRequest): Promise<HttpResponse> => {
    const producer = createTrackingProducer({ backend, redis, queue: options.queue, sequenceKey: options.sequenceKey });
    return handleTrackingRequest(request, {
      keys: options.keys,
      toleranceSeconds: options.toleranceSeconds,
      legacyUntil: options.legacyUntil,
      producer,
      logger,
      maxBodyBytes: options.maxBodyBytes,
    });
  },
});
