/**
 * Trigger: httpApi `POST /contribution-tracking` (serverless.yml), for producers that are not
 * TypeScript. Guarantee: answers 202 `{"id": "<contribution tracking id>"}` only once the message
 * is in the `contribution-tracking` queue; 400 with a reason for bad input; 401 without a valid
 * `X-Tracking-Signature` (HMAC-SHA256 of the body with TRACKING_HMAC_SECRET); 503 when Redis or
 * the queue is unreachable (nothing was queued; retry).
 */
import { createLogger } from '../lib/log';
import { endTrackingInvocation, openTrackingClients } from '../lib/tracking/clients';
import { trackingConfig, trackingEndpointConfig } from '../lib/tracking/config';
import { handleTrackingRequest, type HttpRequest, type HttpResponse } from '../lib/tracking/http-endpoint';
import { createTrackingProducer } from '../lib/tracking/producer';

const config = trackingConfig();
const { TRACKING_HMAC_SECRET } = trackingEndpointConfig();
const clients = openTrackingClients();
const producer = createTrackingProducer({
  backend: clients.backend,
  redis: clients.redis,
  queue: config.TRACKING_QUEUE,
  sequenceKey: config.TRACKING_ID_SEQUENCE_KEY,
});
const logger = createLogger({ component: 'track-contribution' });

export async function handler(event: HttpRequest): Promise<HttpResponse> {
  try {
    return await handleTrackingRequest(event, { secret: TRACKING_HMAC_SECRET, producer, logger });
  } finally {
    await endTrackingInvocation(clients);
  }
}
