/**
 * The one rule for "this text is a JSON object": queue bodies, HTTP bodies, Kafka records and
 * `damaged` rows are all decoded here, so that every layer agrees on what is malformed and why.
 *
 * A leaf module (it imports nothing), so that the queue library, the bottom layer, may use it too.
 * The reason it gives never quotes the input: bodies carry donors' personal data, and reasons
 * end up in logs and in `damaged.error`. (JSON.parse's own message quotes the text it choked on,
 * which is why it is not passed on.)
 */

/** A decoded JSON object: what every body of this project must be. */
export type JsonObject = Record<string, unknown>;

/** What the parsed value was when it was JSON but not an object. */
export type NotAnObjectKind = 'array' | 'null' | 'string' | 'number' | 'boolean';

/** Why a text is not a JSON object; `reason` is safe to log and to store (it quotes no input). */
export type JsonObjectProblem =
  | { ok: false; problem: 'not-json'; reason: string }
  | { ok: false; problem: 'not-an-object'; found: NotAnObjectKind; reason: string };

export type JsonObjectResult = { ok: true; value: JsonObject } | JsonObjectProblem;

/**
 * Decodes `raw` (UTF-8 when a Buffer) as a JSON object, or says why it is not one. A result,
 * not a throw: each caller turns the problem into its own error class or answer (a 400, a
 * MalformedMessageError, an invalid event), and a caller that just wants to peek at a body
 * (which ids does this damaged row carry?) does not pay for an exception.
 */
export function parseJsonObject(raw: string | Buffer): JsonObjectResult {
  let value: unknown;
  try {
    value = JSON.parse(typeof raw === 'string' ? raw : raw.toString('utf8'));
  } catch {
    return { ok: false, problem: 'not-json', reason: 'not valid JSON' };
  }
  if (isJsonObject(value)) return { ok: true, value };
  const found: NotAnObjectKind = Array.isArray(value) ? 'array' : value === null ? 'null' : (typeof value as 'string' | 'number' | 'boolean');
  return { ok: false, problem: 'not-an-object', found, reason: `JSON ${found}, not an object` };
}

/** True for a plain object as JSON.parse returns one: not null, not an array. */
export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
