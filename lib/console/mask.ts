/**
 * How the console shows donor data: masked by lib/redact.ts, the one rule set, everywhere
 * (pages, downloads, CLI output, audit rows). Editing works on the masked view: a value the
 * operator left as it was shown masked keeps its stored value when the message is resent.
 */
import { isPersonalKey, redact, redactText, REDACTED } from '../redact';

/** A stored body for display: the masked, pretty-printed JSON, or the masked raw text when it is not JSON. */
export function maskBody(body: string): { text: string; json: boolean } {
  const parsed = tryParseJson(body);
  if (parsed === undefined) return { text: redactText(body), json: false };
  return { text: JSON.stringify(redact(parsed), null, 2), json: true };
}

/** The parsed body with personal data masked, or the masked raw text when it is not JSON. */
export function maskedValue(body: string): unknown {
  const parsed = tryParseJson(body);
  return parsed === undefined ? redactText(body) : redact(parsed);
}

/**
 * A value as JSON would carry it (dates as ISO strings), masked: lib/redact.ts walks plain
 * objects and would turn a Date into `{}`.
 */
export function maskJson(value: unknown): unknown {
  return value === undefined ? undefined : redact(JSON.parse(JSON.stringify(value)) as unknown);
}

/** The stored body pretty-printed as it is: only for an audited reveal. */
export function revealBody(body: string): string {
  const parsed = tryParseJson(body);
  return parsed === undefined ? body : JSON.stringify(parsed, null, 2);
}

/**
 * `edited` with every value that still reads as the masked form of the `original` value at the
 * same place put back to the original: `[redacted]` under a personal key, or a text whose
 * e-mail addresses, IPs or card numbers were masked. Anything the operator changed stays changed.
 */
export function restoreMasked(original: unknown, edited: unknown): unknown {
  if (typeof edited === 'string') return typeof original === 'string' && edited !== original && edited === redactText(original) ? original : edited;
  if (Array.isArray(edited)) return edited.map((item, i) => restoreMasked(Array.isArray(original) ? original[i] : undefined, item));
  if (edited === null || typeof edited !== 'object') return edited;
  const source = original !== null && typeof original === 'object' && !Array.isArray(original) ? (original as Record<string, unknown>) : {};
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(edited)) {
    out[key] = isPersonalKey(key) && value === REDACTED && key in source ? source[key] : restoreMasked(source[key], value);
  }
  return out;
}

/** JSON.parse without throwing: undefined when the text is not JSON. */
export function tryParseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}
