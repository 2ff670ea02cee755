/**
 * Column limits of the legacy `contribution_tracking` table (docs/architecture.md §6) and the one rule
 * for values that do not fit: truncate to the column (lib/truncate.ts), warn, never reject.
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
