/**
 * Column limits of the legacy `contribution_tracking` table (docs/architecture.md §6) and the one rule
 * for values that do not fit: truncate to the column (lib/truncate.ts), warn, never reject.
 */
import { getTableColumns } from 'drizzle-orm';
import { contributionSource, contributionTracking } from '../db/schema';
import type { LegacyField } from './merge';
import { TEXT_FIELDS, type TextField } from './message';

const summaryColumns = getTableColumns(contributionTracking);

/** The summary columns the buffer writes (`usd_amount` is not the buffer's), by schema key. */
export type SummaryKey = Exclude<keyof typeof summaryColumns, 'usdAmount'>;

/**
 * The schema key of each message field: message fields carry the legacy column names, so the
 * mapping is read off the schema rather than written out.
 */
export const SUMMARY_KEY: Record<LegacyField, SummaryKey> = (() => {
  const byName = new Map(Object.entries(summaryColumns).map(([key, column]) => [column.name, key as SummaryKey]));
  const keys: Partial<Record<LegacyField, SummaryKey>> = {};
  for (const field of [...TEXT_FIELDS, 'anonymous', 'optout', 'contribution_id'] as const) {
    const key = byName.get(field);
    if (!key) throw new Error(`contribution_tracking has no column ${field}`);
    keys[field] = key;
  }
  return keys as Record<LegacyField, SummaryKey>;
})();

/** The declared length of a CHAR or VARCHAR column of the schema. */
function lengthOf(column: object): number {
  const length = (column as { length?: unknown }).length;
  if (typeof length !== 'number') throw new Error('column has no declared length');
  return length;
}

/** Maximum length in characters of each text column (note: TEXT, a byte limit), from the schema. */
export const TEXT_LIMITS = Object.fromEntries(
  TEXT_FIELDS.filter((field) => field !== 'note').map((field) => [field, lengthOf(summaryColumns[SUMMARY_KEY[field]])]),
) as Record<Exclude<TextField, 'note'>, number>;

/** A TEXT column holds at most this many bytes (utf8mb4). */
export const NOTE_MAX_BYTES = 65535;

/** Length of each contribution_source column (banner, landing_page and payment_method are alike). */
export const SOURCE_LIMIT = lengthOf(contributionSource.banner);
