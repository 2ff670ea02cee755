/**
 * The `track-contribution` function's job (lib/job.ts): the endpoint's secret, the tracking queue
 * and the id sequence from configuration, one call into the endpoint. Kept apart from jobs.ts (the
 * consumers'), whose imports reach the database schema: this function's bundle stays free of it.
 */
import type { Redis } from 'ioredis';
import { defineJob } from '../job';
import type { Logger } from '../log';
import { queueConfig } from '../queue/config';
import type { QueueBackend } from '../queue/types';
import { trackingConfig, trackingEndpointConfig } from './config';
import { handleTrackingRequest, type HttpRequest, type HttpResponse } from './http-endpoint';
import { createTrackingProducer } from './producer';

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
