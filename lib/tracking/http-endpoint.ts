/**
 * The HTTP front door for producers that are not TypeScript (API Gateway v2 `httpApi` POST,
 * also under serverless-offline). Contract:
 * - 202 `{"id":"<contribution tracking id>"}` once the message is in the queue;
 * - 400 `{"error":"<reason>"}` for a body that is not a valid tracking message;
 * - 401 without a valid `X-Tracking-Signature` (HMAC-SHA256 of the body, see signature.ts);
 * - 503 when Redis or the queue cannot take the message (the caller should retry).
 * Error texts name fields, never values.
 */
import { InfrastructureError, MalformedMessageError, toError } from '../errors';
import type { Logger } from '../log';
import type { TrackingProducer } from './producer';
import { SIGNATURE_HEADER, verifySignature } from './signature';

/** The parts of an API Gateway v2 (HTTP API) event the endpoint reads. */
export interface HttpRequest {
  body?: string | null;
  isBase64Encoded?: boolean;
  headers?: Record<string, string | undefined> | null;
}

export interface HttpResponse {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
}

export interface TrackingEndpointOptions {
  secret: string;
  producer: TrackingProducer;
  logger: Logger;
}

/** Authenticates, validates and queues one tracking message; never throws. */
export async function handleTrackingRequest(request: HttpRequest, options: TrackingEndpointOptions): Promise<HttpResponse> {
  const raw = Buffer.from(request.body ?? '', request.isBase64Encoded ? 'base64' : 'utf8');
  if (!verifySignature(options.secret, raw, header(request, SIGNATURE_HEADER))) {
    return respond(401, { error: `missing or invalid ${SIGNATURE_HEADER} header` });
  }
  let fields: unknown;
  try {
    fields = JSON.parse(raw.toString('utf8'));
  } catch {
    return respond(400, { error: 'body is not valid JSON' });
  }
  if (fields === null || typeof fields !== 'object' || Array.isArray(fields)) {
    return respond(400, { error: 'body must be a JSON object' });
  }
  try {
    const id = await options.producer.trackContribution(fields as Record<string, unknown>);
    return respond(202, { id: String(id) });
  } catch (error) {
    if (error instanceof MalformedMessageError) return respond(400, { error: error.message });
    if (error instanceof InfrastructureError) {
      options.logger.error({ error: error.name, reason: error.message }, 'tracking message not queued: infrastructure unavailable');
      return respond(503, { error: 'the tracking queue is unavailable; retry later' });
    }
    options.logger.error({ error: toError(error).name }, 'tracking message not queued: unexpected error');
    return respond(500, { error: 'internal error' });
  }
}

function header(request: HttpRequest, name: string): string | undefined {
  for (const [key, value] of Object.entries(request.headers ?? {})) {
    if (key.toLowerCase() === name) return value;
  }
  return undefined;
}

function respond(statusCode: number, body: Record<string, unknown>): HttpResponse {
  return { statusCode, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) };
}
