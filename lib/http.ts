/**
 * What the HTTP functions (API Gateway v2 `httpApi`, also under serverless-offline) share: the
 * parts of the event they read, the answer they give, and the signature check both signed
 * endpoints make before anything else (lib/signing.ts).
 */
import { signatureProblemText, verifyRequest, type SignedParts, type SigningKeys, type VerifyOptions, type VerifyResult } from './signing';

/** The parts of an API Gateway v2 (HTTP API, payload 2.0) event the endpoints read. */
export interface HttpRequest {
  body?: string | null;
  isBase64Encoded?: boolean;
  headers?: Record<string, string | undefined> | null;
  pathParameters?: Record<string, string | undefined> | null;
  requestContext?: { http?: { method?: string } };
}

export interface HttpResponse {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
}

/** The body's exact bytes, as they were signed. */
export function rawBody(request: HttpRequest): Buffer {
  return Buffer.from(request.body ?? '', request.isBase64Encoded ? 'base64' : 'utf8');
}

/** A request header, whatever its case (API Gateway v2 lower-cases them, callers of tests may not). */
export function header(request: HttpRequest, name: string): string | undefined {
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(request.headers ?? {})) {
    if (key.toLowerCase() === wanted) return value;
  }
  return undefined;
}

/** A JSON answer. */
export function respond(statusCode: number, body: Record<string, unknown>): HttpResponse {
  return { statusCode, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) };
}

/**
 * The signature check every signed endpoint makes first, so that an unauthenticated caller
 * learns nothing else: the 401 answer to give (null when the request may go on) and the outcome.
 */
export function refuseUnsigned(
  request: HttpRequest,
  signatureHeader: string,
  keys: SigningKeys,
  parts: SignedParts,
  options: VerifyOptions,
): { refusal: HttpResponse | null; result: VerifyResult } {
  const result = verifyRequest(keys, parts, header(request, signatureHeader), options);
  return { refusal: result.ok ? null : respond(401, { error: signatureProblemText(signatureHeader, result.problem) }), result };
}
