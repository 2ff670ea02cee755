/**
 * Request signing for the signed HTTP endpoints (track-contribution, pending-orders): one scheme,
 * replay-resistant and rotatable. A producer sends
 *
 *   <header>: t=<unix seconds>,v1=<hex HMAC-SHA256>
 *
 * where the HMAC is taken, with the shared secret, over `<t>.<METHOD>.<path>.` followed by the
 * exact body bytes (empty for a GET). The timestamp is inside the signed value, so a captured
 * request is refused once it is older (or newer) than the tolerance; the method and path are
 * inside too, so a signature for one order's GET cannot be used for another's. Within the window
 * a replay is possible: both endpoints are idempotent (tracking deduplicates by content, settling
 * an order twice changes nothing), which is what makes the window safe.
 *
 * Rotation: the endpoint accepts the current secret and, when configured, the previous one.
 * Rotate by setting the new secret as current and the old one as previous, moving producers over,
 * then removing the previous secret.
 *
 * The legacy tracking scheme (`sha256=<hex>` of the body alone, no timestamp) is accepted only
 * when an endpoint passes `legacyUntil` and only before that moment (docs/architecture.md §5.3).
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

/** Seconds a signed request may be away from the endpoint's clock, either way, by default. */
export const DEFAULT_SIGNATURE_TOLERANCE_SECONDS = 300;

/** The secrets an endpoint accepts: the current one and, during a rotation, the previous one. */
export interface SigningKeys {
  current: string;
  previous?: string;
}

/** What is signed: the request as the endpoint sees it. */
export interface SignedParts {
  method: string;
  /** The resource path, e.g. `/pending/complete` (no query, no stage prefix). */
  path: string;
  body: Buffer | string;
}

export interface VerifyOptions {
  /** Seconds either side of `now`. */
  toleranceSeconds: number;
  /** Before this moment, the legacy `sha256=<hex>` body signature is accepted too; never when unset. */
  legacyUntil?: Date;
  now?: Date;
}

/** Why a request was refused (for the endpoint's log line and answer; never a secret or a value). */
export type SignatureProblem = 'missing' | 'malformed' | 'outside-tolerance' | 'mismatch' | 'legacy-refused';

export type VerifyResult =
  | { ok: true; scheme: 'v1' | 'legacy'; key: 'current' | 'previous' }
  | { ok: false; problem: SignatureProblem };

function hmac(secret: string, parts: SignedParts, timestamp: number): Buffer {
  return createHmac('sha256', secret)
    .update(`${timestamp}.${parts.method.toUpperCase()}.${parts.path}.`)
    .update(parts.body)
    .digest();
}

/** The header value a producer sends; the timestamp defaults to now (unix seconds). */
export function signRequest(secret: string, parts: SignedParts, timestamp = Math.floor(Date.now() / 1000)): string {
  return `t=${timestamp},v1=${hmac(secret, parts, timestamp).toString('hex')}`;
}

/** The legacy tracking header value: an HMAC of the body alone (kept for the transition and tests). */
export function signBodyLegacy(secret: string, body: Buffer | string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

function equal(given: Buffer, expected: Buffer): boolean {
  return given.length === expected.length && timingSafeEqual(given, expected);
}

function keysOf(keys: SigningKeys): Array<['current' | 'previous', string]> {
  const list: Array<['current' | 'previous', string]> = [['current', keys.current]];
  if (keys.previous) list.push(['previous', keys.previous]);
  return list;
}

/**
 * Checks a signature header against the request, in constant time per key. Refuses a missing or
 * malformed header, a timestamp outside the tolerance, a signature made with neither key, and a
 * legacy signature once (or unless) its transition is over.
 */
export function verifyRequest(keys: SigningKeys, parts: SignedParts, header: string | undefined, options: VerifyOptions): VerifyResult {
  if (!header || header.trim() === '') return { ok: false, problem: 'missing' };
  const now = options.now ?? new Date();
  const value = header.trim();
  const legacy = /^sha256=([0-9a-fA-F]{64})$/.exec(value);
  if (legacy) {
    if (options.legacyUntil === undefined || now.getTime() >= options.legacyUntil.getTime()) return { ok: false, problem: 'legacy-refused' };
    const given = Buffer.from(legacy[1]!, 'hex');
    for (const [name, secret] of keysOf(keys)) {
      if (equal(given, createHmac('sha256', secret).update(parts.body).digest())) return { ok: true, scheme: 'legacy', key: name };
    }
    return { ok: false, problem: 'mismatch' };
  }
  const v1 = /^t=(\d{1,12}),v1=([0-9a-fA-F]{64})$/.exec(value);
  if (!v1) return { ok: false, problem: 'malformed' };
  const timestamp = Number(v1[1]);
  if (Math.abs(now.getTime() / 1000 - timestamp) > options.toleranceSeconds) return { ok: false, problem: 'outside-tolerance' };
  const given = Buffer.from(v1[2]!, 'hex');
  for (const [name, secret] of keysOf(keys)) {
    if (equal(given, hmac(secret, parts, timestamp))) return { ok: true, scheme: 'v1', key: name };
  }
  return { ok: false, problem: 'mismatch' };
}

/** What a refused caller is told: enough to fix a signing bug, nothing about the secrets. */
export function signatureProblemText(header: string, problem: SignatureProblem): string {
  switch (problem) {
    case 'missing':
      return `missing ${header} header`;
    case 'malformed':
      return `${header} must be t=<unix seconds>,v1=<hex HMAC-SHA256>`;
    case 'outside-tolerance':
      return `${header} timestamp is outside the accepted window; sign with the current time`;
    case 'legacy-refused':
      return `${header} in the legacy sha256= form is no longer accepted; use t=<unix seconds>,v1=<hex>`;
    case 'mismatch':
      return `invalid ${header}`;
  }
}
