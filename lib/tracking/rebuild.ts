/**
 * Rebuilds the summaries (`contribution_tracking` with `contribution_source`, and
 * `contribution_tracking_detail`) from the event log, or checks that the tables equal what the
 * log says. It uses the merge the consumer uses, in
 * chunks of tracking ids, one transaction per chunk, so it can run while the consumer runs.
 */
import { asc, gt, inArray } from 'drizzle-orm';
import type { Pool } from 'mysql2/promise';
import { drizzleOn, type Db } from '../db/client';
import {
  contributionSource,
  contributionTracking,
  contributionTrackingDetail,
  contributionTrackingEvent,
  type ContributionSourceRow,
  type ContributionTrackingRow,
} from '../db/schema';
import { withDatabase } from '../db/transaction';
import type { Logger } from '../log';
import type { PartitionSpec } from '../queue/partitions';
import { readEvents } from './event-log';
import { foldByTrackingId } from './merge';
import { formAmountOf, toSummaryRow, writeSummaries, type SummaryRow, type Truncation } from './summary-store';
import { readRatesFor, type UsdIssue } from './usd-amount';
import { detailAmountOf, detailMatches, toDetailRow, writeDetails, type DetailRow } from './detail';
import { splitUtmSource } from './contribution-source';
import { truncateChars } from '../truncate';
import { SOURCE_LIMIT } from './columns';
import { inWriterTransaction } from './transaction';

export interface RebuildOptions {
  /** Compare only, write nothing. */
  check?: boolean;
  /** Tracking ids per transaction. */
  chunkSize?: number;
  /** The tracking queue's partitions (definedPartitionSpec), whose writer locks each chunk takes; absent: the one lock. */
  partitionSpec?: PartitionSpec;
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
  const db = drizzleOn(pool);
  let after = 0;
  for (;;) {
    const idRows = await withDatabase('read contribution tracking ids', () =>
      db
        .selectDistinct({ id: contributionTrackingEvent.contributionTrackingId })
        .from(contributionTrackingEvent)
        .where(gt(contributionTrackingEvent.contributionTrackingId, after))
        .orderBy(asc(contributionTrackingEvent.contributionTrackingId))
        .limit(chunkSize),
    );
    if (idRows.length === 0) break;
    const ids = idRows.map((row) => row.id);
    after = ids[ids.length - 1]!;
    await inWriterTransaction(pool, 'rebuild contribution tracking summary', { spec: options.partitionSpec, trackingIds: ids }, async (tx) => {
      const events = await readEvents(tx.db, ids);
      const truncations: Truncation[] = [];
      const summaries = [...foldByTrackingId(events).values()];
      const rates = await readRatesFor(tx.db, summaries.flatMap((s) => [formAmountOf(s), detailAmountOf(s)]).filter((a) => a !== undefined));
      const issues: UsdIssue[] = [];
      const rows = summaries.map((summary) => toSummaryRow(summary, truncations, { rates, issues }));
      const details = summaries.map((summary) => toDetailRow(summary, rates));
      const differing = [...new Set([...(await findDifferences(tx.db, rows)), ...(await findDetailDifferences(tx.db, details))])].sort((a, b) => a - b);
      if (!options.check) {
        await writeSummaries(tx, rows);
        await writeDetails(tx, details);
      }
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

/** Ids whose stored summary (as the consumer would leave it) or source split differs from `rows`. */
async function findDifferences(db: Db, rows: SummaryRow[]): Promise<number[]> {
  if (rows.length === 0) return [];
  const ids = rows.map((row) => row.id);
  const current = await db.select().from(contributionTracking).where(inArray(contributionTracking.id, ids));
  const sources = await db.select().from(contributionSource).where(inArray(contributionSource.contributionTrackingId, ids));
  const byId = new Map(current.map((row) => [row.id, row]));
  const sourceById = new Map(sources.map((row) => [row.contributionTrackingId, row]));
  const differing: number[] = [];
  for (const row of rows) {
    const stored = byId.get(row.id);
    const source = sourceById.get(row.id);
    if (!stored || !summaryMatches(row, stored) || !sourceMatches(row, source)) differing.push(row.id);
  }
  return differing;
}

/** Ids whose stored detail row is missing or differs from `rows`. */
async function findDetailDifferences(db: Db, rows: DetailRow[]): Promise<number[]> {
  if (rows.length === 0) return [];
  const current = await db
    .select()
    .from(contributionTrackingDetail)
    .where(inArray(contributionTrackingDetail.id, rows.map((row) => row.id)));
  const byId = new Map(current.map((row) => [row.id, row]));
  return rows.filter((row) => !detailMatches(row, byId.get(row.id))).map((row) => row.id);
}

function summaryMatches(expected: SummaryRow, stored: ContributionTrackingRow): boolean {
  for (const [key, value] of Object.entries(expected)) {
    // A column no event sets keeps whatever the row holds; usd_amount follows form_amount, NULL included.
    if (value === null && !(key === 'usdAmount' && expected.formAmount !== null)) continue;
    if (value === null) {
      if (stored.usdAmount !== null) return false;
      continue;
    }
    const actual = stored[key as keyof ContributionTrackingRow];
    if (actual === null || actual === undefined || String(actual) !== String(value)) return false;
  }
  return true;
}

function sourceMatches(expected: SummaryRow, stored: ContributionSourceRow | undefined): boolean {
  if (expected.utmSource === null) return true;
  const split = splitUtmSource(expected.utmSource);
  if (!split) return stored === undefined;
  if (!stored) return false;
  const cut = (v: string) => truncateChars(v, SOURCE_LIMIT);
  return stored.banner === cut(split.banner) && stored.landingPage === cut(split.landingPage) && stored.paymentMethod === cut(split.paymentMethod);
}
