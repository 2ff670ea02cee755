/**
 * Rebuilds the summary (`contribution_tracking` and `contribution_source`) from the event log,
 * or checks that the table equals what the log says. It uses the merge the consumer uses, in
 * chunks of tracking ids, one transaction per chunk, so it can run while the consumer runs.
 */
import type { Pool, RowDataPacket } from 'mysql2/promise';
import type { Logger } from '../log';
import { readEvents } from './event-log';
import { foldByTrackingId } from './merge';
import { toSummaryRow, writeSummaries, type SummaryRow, type Truncation } from './summary-store';
import { splitUtmSource } from './contribution-source';
import { truncateChars } from '../truncate';
import { SOURCE_LIMIT } from './columns';
import { inWriterTransaction } from './transaction';

export interface RebuildOptions {
  /** Compare only, write nothing. */
  check?: boolean;
  /** Tracking ids per transaction. */
  chunkSize?: number;
}

export interface RebuildResult {
  ids: number;
  events: number;
  truncated: number;
  /** Ids whose summary or contribution_source row differs from the log's (check mode), or was rewritten. */
  differing: number[];
}

/** Walks every tracking id of the event log; writes (or compares) its merged summary. */
export async function rebuildTrackingSummary(pool: Pool, logger: Logger, options: RebuildOptions = {}): Promise<RebuildResult> {
  const chunkSize = options.chunkSize ?? 1000;
  const result: RebuildResult = { ids: 0, events: 0, truncated: 0, differing: [] };
  let after = 0;
  for (;;) {
    const [idRows] = await pool.query<RowDataPacket[]>(
      'SELECT DISTINCT contribution_tracking_id AS id FROM contribution_tracking_event WHERE contribution_tracking_id > ? ORDER BY contribution_tracking_id LIMIT ?',
      [after, chunkSize],
    );
    if (idRows.length === 0) break;
    const ids = idRows.map((row) => Number(row.id));
    after = ids[ids.length - 1]!;
    await inWriterTransaction(pool, async (conn) => {
      const events = await readEvents(conn, ids);
      const truncations: Truncation[] = [];
      const rows = [...foldByTrackingId(events).values()].map((summary) => toSummaryRow(summary, truncations));
      const differing = await findDifferences(conn, rows);
      if (!options.check) await writeSummaries(conn, rows);
      result.ids += ids.length;
      result.events += events.length;
      result.truncated += truncations.length;
      result.differing.push(...differing);
    });
  }
  logger.info(
    { ids: result.ids, events: result.events, truncated: result.truncated, differing: result.differing.length, check: !!options.check },
    options.check ? 'contribution tracking summary checked against the event log' : 'contribution tracking summary rebuilt from the event log',
  );
  return result;
}

type Queryable = Pick<Pool, 'query'>;

/** Ids whose stored summary (as the consumer would leave it) or source split differs from `rows`. */
async function findDifferences(conn: Queryable, rows: SummaryRow[]): Promise<number[]> {
  if (rows.length === 0) return [];
  const ids = rows.map((row) => Number(row.id));
  const [current] = await conn.query<RowDataPacket[]>('SELECT * FROM contribution_tracking WHERE id IN (?)', [ids]);
  const [sources] = await conn.query<RowDataPacket[]>('SELECT * FROM contribution_source WHERE contribution_tracking_id IN (?)', [ids]);
  const byId = new Map(current.map((row) => [Number(row.id), row]));
  const sourceById = new Map(sources.map((row) => [Number(row.contribution_tracking_id), row]));
  const differing: number[] = [];
  for (const row of rows) {
    const stored = byId.get(Number(row.id));
    const source = sourceById.get(Number(row.id));
    if (!stored || !summaryMatches(row, stored) || !sourceMatches(row, source)) differing.push(Number(row.id));
  }
  return differing;
}

function summaryMatches(expected: SummaryRow, stored: RowDataPacket): boolean {
  for (const [column, value] of Object.entries(expected)) {
    if (value === null) continue; // a column no event sets keeps whatever the row holds
    const actual = stored[column];
    if (actual === null || actual === undefined || String(actual) !== String(value)) return false;
  }
  return true;
}

function sourceMatches(expected: SummaryRow, stored: RowDataPacket | undefined): boolean {
  if (expected.utm_source === null) return true;
  const split = splitUtmSource(String(expected.utm_source));
  if (!split) return stored === undefined;
  if (!stored) return false;
  const cut = (v: string) => truncateChars(v, SOURCE_LIMIT);
  return (
    stored.banner === cut(split.banner) &&
    stored.landing_page === cut(split.landingPage) &&
    stored.payment_method === cut(split.paymentMethod)
  );
}
