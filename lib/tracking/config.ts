/**
 * Settings of the contribution tracking buffer. Two loaders, so that the consumer does not need
 * the endpoint's signing secret and the endpoint does not need the consumer's limits.
 */
import { defineConfig, env } from '../config';
import * as z from 'zod';
import { definedQueue } from '../queue/definitions';
import { DEFAULT_SIGNATURE_TOLERANCE_SECONDS } from '../signing';

/** Queue, id sequence and consumer limits: read by the producer, the consumer and the rebuild. */
export const trackingConfig = defineConfig({
  /** The queue the frontend pushes tracking messages to. */
  TRACKING_QUEUE: env.string(definedQueue('contribution-tracking')).describe('queue of the tracking messages'),
  /** The Redis key of the contribution tracking id sequence (INCR). */
  TRACKING_ID_SEQUENCE_KEY: env.string('contribution-tracking:id-sequence').describe('Redis key of the contribution tracking id sequence'),
  /**
   * One consumer run stops after this many seconds (0: no limit). Like the other consumers' 60 s,
   * it leaves the function's timeout (serverless.yml) room to finish the batch in hand.
   */
  TRACKING_CONSUMER_TIME_LIMIT_SECONDS: env.limit(60).describe('consume-contribution-tracking run length, seconds (0: no limit)'),
  /** One consumer run stops after this many messages (0: no limit). */
  TRACKING_CONSUMER_MESSAGE_LIMIT: env.limit(0).describe('messages per consume-contribution-tracking run (0: no limit)'),
  /** Messages leased and written per database transaction (the Redis backend leases at most 1000 at once). */
  TRACKING_CONSUMER_BATCH_SIZE: env.int(1000, { min: 1, max: 1000 }).describe('messages leased and written per database transaction'),
});

/**
 * The HTTP endpoint's secrets and signature rules (lib/signing.ts). The legacy body-only
 * signature is accepted until TRACKING_LEGACY_SIGNATURES_UNTIL, three months after the change
 * (2026-12-02), so that producers move at their pace; set it to a past moment to end it earlier.
 */
export const trackingEndpointConfig = defineConfig({
  TRACKING_HMAC_SECRET: env.string().describe('HMAC-SHA256 key of `X-Tracking-Signature` (required by track-contribution)'),
  TRACKING_HMAC_SECRET_PREVIOUS: env.string().optional().describe('the previous key, also accepted while producers move to a new one (rotation); unset otherwise'),
  TRACKING_SIGNATURE_TOLERANCE_SECONDS: env.int(DEFAULT_SIGNATURE_TOLERANCE_SECONDS, { min: 1 }).describe('a signed request\'s timestamp may be this far from now, either way'),
  TRACKING_LEGACY_SIGNATURES_UNTIL: z
    .string()
    .refine((value) => /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/.test(value) && !Number.isNaN(Date.parse(value)), 'must be an ISO 8601 UTC time, e.g. 2027-03-01T00:00:00Z')
    .default('2027-03-01T00:00:00Z')
    .describe('until then the legacy `sha256=<hex>` body signature (no timestamp) is accepted too; a past time ends the transition'),
});
