/**
 * Request signing for the tracking HTTP endpoint: the shared scheme of lib/signing.ts (timestamp,
 * method, path and body under an HMAC-SHA256) in the header producers already send,
 * `X-Tracking-Signature: t=<unix seconds>,v1=<hex>`. The legacy value `sha256=<hex>` (the body
 * alone, replayable forever) is accepted until TRACKING_LEGACY_SIGNATURES_UNTIL, so that existing
 * producers keep working while they move (docs/architecture.md §11).
 */
import { signBodyLegacy, signRequest } from '../signing';

/** The header carrying the signature (API Gateway v2 lower-cases header names). */
export const SIGNATURE_HEADER = 'x-tracking-signature';

/** The route the signature covers (serverless.yml: httpApi `POST /contribution-tracking`). */
export const TRACKING_PATH = '/contribution-tracking';

/** The header value a producer sends for `body` at `timestamp` (unix seconds, default now). */
export function signTrackingRequest(secret: string, body: Buffer | string, timestamp?: number): string {
  return signRequest(secret, { method: 'POST', path: TRACKING_PATH, body }, timestamp);
}

/** The legacy header value (`sha256=<hex>` of the body alone), as producers sent it before the change. */
export function signBodyLegacyTracking(secret: string, body: Buffer | string): string {
  return signBodyLegacy(secret, body);
}
