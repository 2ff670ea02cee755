/**
 * Trigger: httpApi `POST /contribution-tracking` (serverless.yml), for producers that are not
 * TypeScript. Guarantee: answers 202 `{"id": "<contribution tracking id>"}` only once the message
 * is in the `contribution-tracking` queue; 400 with a reason for bad input; 401 without a valid
 * `X-Tracking-Signature` (t=<unix seconds>,v1=<HMAC-SHA256 with TRACKING_HMAC_SECRET or, during a rotation,
 * TRACKING_HMAC_SECRET_PREVIOUS>; the legacy sha256=<HMAC of the body> until TRACKING_LEGACY_SIGNATURES_UNTIL;
 * docs/architecture.md §11); 413 for a body (or
 * the message stored from it) bigger than QUEUE_MAX_MESSAGE_BYTES; 503 when Redis or the queue is
 * unreachable (nothing was queued; retry).
 */
import { queueBackendClient } from '../lib/runtime/clients/queue-backend';
import { redisClient } from '../lib/runtime/clients/redis';
import { createHandler } from '../lib/runtime/handler-runtime';
import { trackContributionRequestJob } from '../lib/tracking/endpoint-job';

export const handler = createHandler('track-contribution', trackContributionRequestJob, { backend: queueBackendClient, redis: redisClient });
