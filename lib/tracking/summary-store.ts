/**
 * Writes of the legacy summary (`contribution_tracking`) and its `contribution_source` split.
 *
 * Rows are written from merged summaries (merge.ts). A column that no event has ever set keeps
 * what the row holds (rows written by the legacy frontend before the cutover keep their data);
 * `ts` only ever moves earlier; `usd_amount` is not the buffer's to write.
 */
import type { PoolConnection, RowDataPacket } from 'mysql2/promise';
import type { Logger } from '../log';
import { truncateBytes, truncateChars } from '../truncate';
import { NOTE_MAX_BYTES, SOURCE_LIMIT, TEXT_LIMITS } from './columns';
import { splitUtmSource } from './contribution-source';
import type { SummaryField, TrackingSummary } from './merge';
import { TEXT_FIELDS, type TextField } from './message';

/** Summary columns written by the buffer, in insert order. */
const COLUMNS = [
  'id',
  'contribution_id',
  'form_amount',
  'note',
  'referrer',
  'anonymous',
  'utm_source',
  'utm_medium',
  'utm_campaign',
  'utm_key',
  'payments_form',
  'optout',
  'language',
  'country',
  'ts',
] as const;

type Column = (typeof COLUMNS)[number];
export type SummaryRow = Record<Column, string | number | null>;

export interface Truncation {
  trackingId: number;
  field: SummaryField;
  length: number;
  limit: number;
  /** The event that supplied the value. */
  eventId: number;
}

/** Turns a merged summary into column values, cutting over-long values to their column. */
export function toSummaryRow(summary: TrackingSummary, truncations: Truncation[] = []): SummaryRow {
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
  for (const name of TEXT_FIELDS) row[name] = text(name);
  row.contribution_id = fields.contribution_id ?? null;
  row.anonymous = fields.anonymous ?? null;
  row.optout = fields.optout ?? null;
  return row;
}

/** Current contribution_id of each of these ids (absent: none). */
export async function readContributionIds(conn: PoolConnection, trackingIds: number[]): Promise<Map<number, number>> {
  const result = new Map<number, number>();
  if (trackingIds.length === 0) return result;
  const [rows] = await conn.query<RowDataPacket[]>(
    'SELECT id, contribution_id FROM contribution_tracking WHERE id IN (?) AND contribution_id IS NOT NULL',
    [trackingIds],
  );
  for (const row of rows) result.set(Number(row.id), Number(row.contribution_id));
  return result;
}

/** Which tracking id holds each of these contribution ids. */
export async function readContributionOwners(conn: PoolConnection, contributionIds: number[]): Promise<Map<number, number>> {
  const result = new Map<number, number>();
  if (contributionIds.length === 0) return result;
  const [rows] = await conn.query<RowDataPacket[]>(
    'SELECT id, contribution_id FROM contribution_tracking WHERE contribution_id IN (?)',
    [contributionIds],
  );
  for (const row of rows) result.set(Number(row.contribution_id), Number(row.id));
  return result;
}

const UPSERT_SUMMARY = `INSERT INTO contribution_tracking (${COLUMNS.join(', ')}) VALUES ?
  ON DUPLICATE KEY UPDATE
  ${COLUMNS.filter((c) => c !== 'id' && c !== 'ts')
    .map((c) => `${c} = COALESCE(VALUES(${c}), ${c})`)
    .join(',\n  ')},
  ts = IF(ts IS NULL OR VALUES(ts) < ts, VALUES(ts), ts)`;

/** Writes summary rows and their contribution_source split. */
export async function writeSummaries(conn: PoolConnection, rows: SummaryRow[]): Promise<void> {
  if (rows.length === 0) return;
  const sorted = [...rows].sort((a, b) => Number(a.id) - Number(b.id));
  await conn.query(UPSERT_SUMMARY, [sorted.map((row) => COLUMNS.map((c) => row[c]))]);

  const sources: Array<[number, string, string, string]> = [];
  const withoutSource: number[] = [];
  for (const row of sorted) {
    if (row.utm_source === null) continue;
    const split = splitUtmSource(String(row.utm_source));
    if (split) {
      sources.push([
        Number(row.id),
        truncateChars(split.banner, SOURCE_LIMIT),
        truncateChars(split.landingPage, SOURCE_LIMIT),
        truncateChars(split.paymentMethod, SOURCE_LIMIT),
      ]);
    } else {
      withoutSource.push(Number(row.id));
    }
  }
  if (sources.length > 0) {
    await conn.query(
      `INSERT INTO contribution_source (contribution_tracking_id, banner, landing_page, payment_method) VALUES ?
       ON DUPLICATE KEY UPDATE banner = VALUES(banner), landing_page = VALUES(landing_page), payment_method = VALUES(payment_method)`,
      [sources],
    );
  }
  if (withoutSource.length > 0) {
    await conn.query('DELETE FROM contribution_source WHERE contribution_tracking_id IN (?)', [withoutSource]);
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
