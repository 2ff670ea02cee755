/**
 * Column limits of the legacy `contribution_tracking` table (docs/architecture.md §6) and the one rule
 * for values that do not fit: truncate to the column, warn, never reject.
 */
import type { TextField } from './message';

/** Maximum length in characters of each text column (note: TEXT, a byte limit). */
export const TEXT_LIMITS: Record<Exclude<TextField, 'note'>, number> = {
  form_amount: 20,
  referrer: 4096,
  utm_source: 128,
  utm_medium: 128,
  utm_campaign: 128,
  utm_key: 128,
  payments_form: 128,
  language: 8,
  country: 2,
};

/** A TEXT column holds at most this many bytes (utf8mb4). */
export const NOTE_MAX_BYTES = 65535;

/** Length of each contribution_source column. */
export const SOURCE_LIMIT = 128;

/** Cuts `value` to `limit` characters (code points, as MariaDB counts them); null when it fits. */
export function truncateChars(value: string, limit: number): string | null {
  if (value.length <= limit) return null;
  const chars = Array.from(value);
  if (chars.length <= limit) return null;
  return chars.slice(0, limit).join('');
}

/** Cuts `value` to at most `limit` UTF-8 bytes without splitting a character; null when it fits. */
export function truncateBytes(value: string, limit: number): string | null {
  if (Buffer.byteLength(value, 'utf8') <= limit) return null;
  let bytes = 0;
  let out = '';
  for (const char of value) {
    const size = Buffer.byteLength(char, 'utf8');
    if (bytes + size > limit) break;
    bytes += size;
    out += char;
  }
  return out;
}
