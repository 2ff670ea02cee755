/**
 * The HTTP front door for producers that are not TypeScript (API Gateway v2 `httpApi` POST,
 * also under serverless-offline). Contract:
 * - 202 `{"id":"<contribution tracking id>"}` once the message is in the queue;
 * - 400 `{"error":"<reason>"}` for a body that is not a valid tracking message;
 * - 401 without a valid `X-Tracking-Signature` (timestamped HMAC-SHA256 of the request, with the
 *   current or the previous secret; the legacy body-only form until its transition ends; see
 *   signature.ts and lib/signing.ts);
 * - 413 for a body, or the message stored from it (the body with its source fields), bigger than
 *   the tracking queue's maximum message size: nothing is queued, and retrying cannot help;
 * - 503 when Redis or the queue cannot take the message (the caller should retry).
 * Error texts name fields and sizes, never values.
 */
import { InfrastructureError, MalformedMessageError, toError } from '../errors';
import { rawBody, refuseUnsigned, respond, type HttpRequest, type HttpResponse } from '../http';
import { parseJsonObject } from '../json-object';
import type { Logger } from '../log';
import { MessageTooLargeError } from '../queue/errors';
import type { SigningKeys } from '../signing';
import type { TrackingProducer } from './producer';
import { SIGNATURE_HEADER, TRACKING_PATH } from './signature';

export type { HttpRequest, HttpResponse } from '../http';

export interface TrackingEndpointOptions {
  /** The current secret and, during a rotation, the previous one. */
  keys: SigningKeys;
  /** Seconds a signature's timestamp may be away from now. */
  toleranceSeconds: number;
  /** Until then the legacy `sha256=<hex>` body signature is accepted too; never when unset. */
  legacyUntil?: Date;
  now?: Date;
  producer: TrackingProducer;
  logger: Logger;
  /**
   * The tracking queue's maximum message size in bytes (QUEUE_MAX_MESSAGE_BYTES). A bigger body
   * is answered 413 before it is parsed, even one whose stored form would have fitted (JSON
   * whitespace is not stored): the limit is the producer's to respect, not ours to work around.
   */
  maxBodyBytes: number;
}

/** Authenticates, checks the size of, validates and queues one tracking message; never throws. */
export async function handleTrackingRequest(request: HttpRequest, options: TrackingEndpointOptions): Promise<HttpResponse> {
  const raw = rawBody(request);
  // The signature comes first, the size second: an unauthenticated caller gets 401 whatever it
  // sends, so it learns nothing about the limit, and a producer with a signing bug is told so
  // rather than told to shrink its body. Checking first would save one HMAC pass, a small cost
  // on a body that API Gateway has already received whole and caps at 10 MB.
  const { refusal, result } = refuseUnsigned(request, SIGNATURE_HEADER, options.keys, { method: 'POST', path: TRACKING_PATH, body: raw }, {
    toleranceSeconds: options.toleranceSeconds,
    legacyUntil: options.legacyUntil,
    now: options.now,
  });
  if (refusal) {
    options.logger.warn({ problem: result.ok ? null : result.problem }, 'tracking message refused: signature');
    return refusal;
  }
  // What still has to move before the legacy form or the previous secret can go.
  if (result.ok && (result.scheme === 'legacy' || result.key === 'previous')) {
    options.logger.info({ scheme: result.scheme, key: result.key }, 'tracking request signed the old way');
  }
  // Before parsing: a body of several MB must cost neither a JSON parse nor an id.
  if (raw.length > options.maxBodyBytes) {
    return tooLarge(options.logger, `body of ${raw.length} bytes`, raw.length, options.maxBodyBytes);
  }
  const fields = parseJsonObject(raw);
  if (!fields.ok) return respond(400, { error: fields.problem === 'not-json' ? 'body is not valid JSON' : 'body must be a JSON object' });
  try {
    const id = await options.producer.trackContribution(fields.value);
    return respond(202, { id: String(id) });
  } catch (error) {
    if (error instanceof MalformedMessageError) return respond(400, { error: error.message });
    // The body fitted, but the message stored from it (source fields added) does not.
    if (error instanceof MessageTooLargeError) {
      return tooLarge(options.logger, `message of ${error.bytes} bytes as stored (the body with its source fields)`, error.bytes, error.maxBytes);
    }
    if (error instanceof InfrastructureError) {
      options.logger.error({ error: error.name, reason: error.message }, 'tracking message not queued: infrastructure unavailable');
      return respond(503, { error: 'the tracking queue is unavailable; retry later' });
    }
    options.logger.error({ error: toError(error).name }, 'tracking message not queued: unexpected error');
    return respond(500, { error: 'internal error' });
  }
}

function tooLarge(logger: Logger, what: string, bytes: number, maxBytes: number): HttpResponse {
  logger.warn({ bytes, maxBytes }, 'tracking message refused: too large');
  return respond(413, { error: `${what} is bigger than the ${maxBytes} bytes the tracking queue accepts` });
}
