/**
 * Writes of the legacy summary (`contribution_tracking`) and its `contribution_source` split.
 *
 * Rows are written from merged summaries (merge.ts), whose form_amount and payments_form are a
 * message's own or made of its newer fields (legacy-form.ts). A column that no event has ever set keeps
 * what the row holds (rows written by the legacy frontend before the cutover keep their data);
 * `ts` only ever moves earlier; `usd_amount` follows `form_amount` (usd-amount.ts): written
 * whenever an event has set form_amount, NULL when it cannot be converted, kept otherwise.
 */
import { and, getTableColumns, getTableName, inArray, isNotNull, or } from 'drizzle-orm';
import { escapeId } from 'mysql2';
import { bulkInsert, columnName } from '../db/bulk-insert';
import type { Db } from '../db/client';
import { isDuplicateKeyError } from '../db/errors';
import type { Transaction } from '../db/transaction';
import { contributionSource, contributionTracking, type ContributionTrackingRow } from '../db/schema';
import type { Logger } from '../log';
import { truncateBytes, truncateChars } from '../truncate';
import { NOTE_MAX_BYTES, SOURCE_LIMIT, SUMMARY_KEY, TEXT_LIMITS, type SummaryKey } from './columns';
import { splitUtmSource } from './contribution-source';
import { ContributionClaimRaceError } from './errors';
import type { SummaryField, TrackingSummary } from './merge';
import { TEXT_FIELDS, type TextField } from './message';
import type { RateTable } from './exchange-rates';
import { usdAmountOf, type PricedAmount, type UsdIssue } from './usd-amount';

/** A summary row as the buffer writes it. */
export type SummaryRow = Pick<ContributionTrackingRow, SummaryKey | 'usdAmount'>;

/** The rates to convert `form_amount` with, and where to record what could not be converted. */
export interface UsdContext {
  rates: RateTable;
  issues: UsdIssue[];
}

/** The summary's form_amount as the row will hold it (cut to its column), with its event and moment. */
export function formAmountOf(summary: TrackingSummary): PricedAmount | undefined {
  const value = summary.fields.form_amount;
  if (value === undefined) return undefined;
  return {
    trackingId: summary.id,
    eventId: summary.setBy.form_amount ?? 0,
    money: truncateChars(value, TEXT_LIMITS.form_amount),
    ts: summary.setAt.form_amount ?? summary.ts,
  };
}

export interface Truncation {
  trackingId: number;
  field: SummaryField;
  length: number;
  limit: number;
  /** The event that supplied the value. */
  eventId: number;
}

/** Turns a merged summary into column values, cutting over-long values to their column. */
export function toSummaryRow(summary: TrackingSummary, truncations: Truncation[] = [], usd?: UsdContext): SummaryRow {
  const fields = summary.fields;
  const text = (name: TextField): string | null => {
    const value = fields[name];
    if (value === undefined) return null;
    const cut = name === 'note' ? truncateBytes(value, NOTE_MAX_BYTES) : truncateChars(value, TEXT_LIMITS[name]);
    if (cut === value) return value;
    truncations.push({
      trackingId: summary.id,
      field: name,
      length: name === 'note' ? Buffer.byteLength(value, 'utf8') : Array.from(value).length,
      limit: name === 'note' ? NOTE_MAX_BYTES : TEXT_LIMITS[name],
      eventId: summary.setBy[name] ?? 0,
    });
    return cut;
  };
  const row = { id: summary.id, ts: summary.ts } as SummaryRow;
  for (const name of TEXT_FIELDS) (row as Record<SummaryKey, unknown>)[SUMMARY_KEY[name]] = text(name);
  row.contributionId = fields.contribution_id ?? null;
  row.anonymous = fields.anonymous ?? null;
  row.optout = fields.optout ?? null;
  const amount = formAmountOf(summary);
  row.usdAmount = amount && usd ? usdAmountOf(amount, usd.rates, usd.issues) : null;
  return row;
}

/**
 * The contribution ids a batch's check needs, in one read: the current contribution_id of each of
 * `trackingIds` (absent: none), and which tracking id holds each of `contributionIds`.
 */
export async function readContributionClaims(
  db: Db,
  trackingIds: number[],
  contributionIds: number[],
): Promise<{ contributionOf: Map<number, number>; ownerOf: Map<number, number> }> {
  const contributionOf = new Map<number, number>();
  const ownerOf = new Map<number, number>();
  if (trackingIds.length === 0 && contributionIds.length === 0) return { contributionOf, ownerOf };
  const wanted = [
    ...(trackingIds.length > 0 ? [inArray(contributionTracking.id, trackingIds)] : []),
    ...(contributionIds.length > 0 ? [inArray(contributionTracking.contributionId, contributionIds)] : []),
  ];
  const rows = await db
    .select({ id: contributionTracking.id, contributionId: contributionTracking.contributionId })
    .from(contributionTracking)
    .where(and(isNotNull(contributionTracking.contributionId), or(...wanted)));
  const ids = new Set(trackingIds);
  const claimed = new Set(contributionIds);
  for (const row of rows) {
    if (ids.has(row.id)) contributionOf.set(row.id, row.contributionId!);
    if (claimed.has(row.contributionId!)) ownerOf.set(row.contributionId!, row.id);
  }
  return { contributionOf, ownerOf };
}

// Plain mysql2 bulk statements for the two upserts and the event append (event-log.ts): in three
// alternating runs of bench/tracking.ts the consumer reached 0.23-0.27 of its baseline with
// Drizzle's builder for them and 0.29-0.33 with these; the reads showed no difference.
// contribution_id is not among them: setContributionIds sets it (see there why).
const SUMMARY_KEYS = (Object.keys(getTableColumns(contributionTracking)) as Array<SummaryKey | 'usdAmount'>).filter((key) => key !== 'contributionId');

/**
 * On an existing row: a column no event has set keeps what the row holds (COALESCE), `ts` only
 * moves earlier, `id` stays; `usd_amount` is the converted form_amount whenever an event set
 * form_amount (NULL included: a stale dollar value of another amount would mislead). A new row
 * starts without contribution_id.
 */
const UPSERT_SUMMARY = bulkInsert(
  contributionTracking,
  SUMMARY_KEYS,
  `ON DUPLICATE KEY UPDATE ${SUMMARY_KEYS.filter((key) => key !== 'id')
    .map((key) => {
      const c = columnName(contributionTracking[key]);
      if (key === 'ts') return `${c} = IF(${c} IS NULL OR VALUES(${c}) < ${c}, VALUES(${c}), ${c})`;
      if (key === 'usdAmount') {
        const formAmount = columnName(contributionTracking.formAmount);
        return `${c} = IF(VALUES(${formAmount}) IS NULL, ${c}, VALUES(${c}))`;
      }
      return `${c} = COALESCE(VALUES(${c}), ${c})`;
    })
    .join(', ')}`,
);

const SOURCE_KEYS = ['contributionTrackingId', 'banner', 'landingPage', 'paymentMethod'] as const;
const UPSERT_SOURCE = bulkInsert(
  contributionSource,
  SOURCE_KEYS,
  `ON DUPLICATE KEY UPDATE ${SOURCE_KEYS.filter((key) => key !== 'contributionTrackingId')
    .map((key) => `${columnName(contributionSource[key])} = VALUES(${columnName(contributionSource[key])})`)
    .join(', ')}`,
);

/**
 * Writes summary rows and their contribution_source split. Rejects with ContributionClaimRaceError
 * when a row's contribution_id is another tracking id's by now (a writer of another partition
 * claimed it at the same time and committed first): the caller writes the batch again.
 */
export async function writeSummaries({ db, conn }: Transaction, rows: SummaryRow[]): Promise<void> {
  if (rows.length === 0) return;
  const sorted = [...rows].sort((a, b) => a.id - b.id);
  await conn.query(UPSERT_SUMMARY.statement, [UPSERT_SUMMARY.values(sorted)]);
  await setContributionIds(conn, sorted);

  const sources: Array<typeof contributionSource.$inferInsert> = [];
  const withoutSource: number[] = [];
  for (const row of sorted) {
    if (row.utmSource === null) continue;
    const split = splitUtmSource(row.utmSource);
    if (split) {
      sources.push({
        contributionTrackingId: row.id,
        banner: truncateChars(split.banner, SOURCE_LIMIT),
        landingPage: truncateChars(split.landingPage, SOURCE_LIMIT),
        paymentMethod: truncateChars(split.paymentMethod, SOURCE_LIMIT),
      });
    } else {
      withoutSource.push(row.id);
    }
  }
  if (sources.length > 0) await conn.query(UPSERT_SOURCE.statement, [UPSERT_SOURCE.values(sources)]);
  if (withoutSource.length > 0) {
    // Only the rows there are, found by a plain read (which locks nothing): a DELETE over the whole
    // list may scan the table and wait for rows other partitions' writers hold, deadlocking them.
    const split = await db
      .select({ id: contributionSource.contributionTrackingId })
      .from(contributionSource)
      .where(inArray(contributionSource.contributionTrackingId, withoutSource));
    if (split.length > 0) await db.delete(contributionSource).where(inArray(contributionSource.contributionTrackingId, split.map((row) => row.id)));
  }
}

/**
 * Sets the rows' contribution_id with a plain UPDATE, after the upsert. Inside the upsert, a new
 * row whose contribution_id another row holds would not fail: ON DUPLICATE KEY UPDATE would take
 * the unique contribution_id key for the duplicate and overwrite that other tracking id's row.
 * The UPDATE fails instead (a duplicate key, after waiting for the other writer's commit when its
 * claim is not committed yet), which is how writers of different partitions, each under its own
 * lock, learn that they claimed the same contribution at once.
 */
async function setContributionIds(conn: Transaction['conn'], sorted: SummaryRow[]): Promise<void> {
  const claiming = sorted.filter((row) => row.contributionId !== null);
  if (claiming.length === 0) return;
  const id = columnName(contributionTracking.id);
  const contributionId = columnName(contributionTracking.contributionId);
  try {
    await conn.query(
      `UPDATE ${escapeId(getTableName(contributionTracking))} SET ${contributionId} = CASE ${id} ${claiming.map(() => 'WHEN ? THEN ?').join(' ')} END WHERE ${id} IN (?)`,
      [...claiming.flatMap((row) => [row.id, row.contributionId]), claiming.map((row) => row.id)],
    );
  } catch (error) {
    if (isDuplicateKeyError(error)) throw new ContributionClaimRaceError('a contribution_id of the batch was claimed for another contribution tracking id meanwhile', { cause: error });
    throw error;
  }
}

/** Logs truncations (field names and lengths only: values may be personal data). */
export function logTruncations(logger: Logger, truncations: Truncation[]): void {
  for (const t of truncations) {
    logger.warn(
      { contributionTrackingId: t.trackingId, field: t.field, length: t.length, limit: t.limit, eventId: t.eventId },
      'tracking value longer than its column: truncated',
    );
  }
}
