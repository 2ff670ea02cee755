/**
 * Trigger: httpApi `POST /contribution-tracking` (serverless.yml), for producers that are not
 * TypeScript. Guarantee: answers 202 `{"id": "<contribution tracking id>"}` only once the message
 * is in the `contribution-tracking` queue; 400 with a reason for bad input; 401 without a valid
 * `X-Tracking-Signature` (HMAC-SHA256 of the body with TRACKING_HMAC_SECRET); 413 for a body (or
 * the message stored from it) bigger than QUEUE_MAX_MESSAGE_BYTES; 503 when Redis or the queue is
 * unreachable (nothing was queued; retry).
 */
import { createHandlerRuntime } from '../lib/handler-runtime';
import { queueConfig } from '../lib/queue/config';
import { trackingEndpointConfig } from '../lib/tracking/config';
import { handleTrackingRequest, type HttpRequest, type HttpResponse } from '../lib/tracking/http-endpoint';
import { withTrackingProducer } from '../lib/tracking/producer';

const runtime = createHandlerRuntime('track-contribution', withTrackingProducer);

export const handler = (event: HttpRequest): Promise<HttpResponse> =>
  runtime.run(({ producer, logger }) =>
    handleTrackingRequest(event, {
      secret: trackingEndpointConfig().TRACKING_HMAC_SECRET,
      producer,
      logger,
      // The runtime's backend sets no per-queue sizes, so the tracking queue has the default.
      maxBodyBytes: queueConfig().QUEUE_MAX_MESSAGE_BYTES,
    }),
  );
