/**
 * Request signing for the tracking HTTP endpoint: an HMAC-SHA256 of the exact body bytes with a
 * shared secret, sent as `X-Tracking-Signature: sha256=<hex>`. Producers in any language can
 * compute it with their standard library.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

/** The header carrying the signature (API Gateway v2 lower-cases header names). */
export const SIGNATURE_HEADER = 'x-tracking-signature';

/** The header value a producer sends for `body`. */
export function signBody(secret: string, body: Buffer | string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

/** True only for a well-formed signature of exactly these bytes; compares in constant time. */
export function verifySignature(secret: string, body: Buffer, header: string | undefined): boolean {
  if (!header) return false;
  const match = /^sha256=([0-9a-fA-F]{64})$/.exec(header.trim());
  if (!match) return false;
  const given = Buffer.from(match[1]!, 'hex');
  const expected = createHmac('sha256', secret).update(body).digest();
  return given.length === expected.length && timingSafeEqual(given, expected);
}
