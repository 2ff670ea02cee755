/**
 * The rectifier's run history (`rectifier_runs`): after walking a gateway, a run appends its
 * summary (GatewayRun: orders attempted, rows resolved, outcomes, the processor's statuses, why it
 * stopped) and trims the gateway's history to the newest `keep` rows. The console's pending page
 * reads it (docs/architecture.md §10), so that an operator sees what the last runs did without
 * searching logs. The summary holds counts only, never donor data.
 */
import { and, desc, eq, inArray, lt, sql } from 'drizzle-orm';
import type { Db } from '../db/client';
import { rectifierRuns } from '../db/schema';
import type { GatewayRun } from './gateway-run';

/** Which kind of run: the fixed schedule (rectify-orphans) or a trigger (consume-rectify, the console). */
export type RunSource = 'scheduled' | 'triggered';

/** One gateway's part of one run, as stored. */
export interface GatewayRunRecord extends GatewayRun {
  id: number;
  gateway: string;
  source: RunSource;
  startedAt: Date;
  finishedAt: Date;
}

/** Appends one gateway's summary and keeps only its newest `keep` rows. */
export async function recordGatewayRun(
  db: Db,
  entry: { gateway: string; source: RunSource; startedAt: Date; finishedAt: Date; run: GatewayRun },
  keep: number,
): Promise<void> {
  const { run } = entry;
  await db.insert(rectifierRuns).values({
    gateway: entry.gateway,
    source: entry.source,
    startedAt: entry.startedAt,
    finishedAt: entry.finishedAt,
    attempted: run.attempted,
    rowsResolved: run.rowsResolved,
    outcomes: JSON.stringify(run.outcomes),
    processorStatuses: JSON.stringify(run.processorStatuses),
    stoppedBecause: run.stoppedBecause,
  });
  // The gateway's keep-th newest row; everything older goes.
  const [oldestKept] = await db
    .select({ id: rectifierRuns.id })
    .from(rectifierRuns)
    .where(eq(rectifierRuns.gateway, entry.gateway))
    .orderBy(desc(rectifierRuns.id))
    .limit(1)
    .offset(keep - 1);
  if (oldestKept) await db.delete(rectifierRuns).where(and(eq(rectifierRuns.gateway, entry.gateway), lt(rectifierRuns.id, oldestKept.id)));
}

/** The newest `limit` runs per gateway (all gateways, or those named), newest first. */
export async function lastGatewayRuns(db: Db, { limit, gateways }: { limit: number; gateways?: string[] }): Promise<GatewayRunRecord[]> {
  const rank = sql<number>`ROW_NUMBER() OVER (PARTITION BY ${rectifierRuns.gateway} ORDER BY ${rectifierRuns.id} DESC)`;
  const ranked = db
    .select({ id: rectifierRuns.id, rank: rank.as('run_rank') })
    .from(rectifierRuns)
    .where(gateways ? inArray(rectifierRuns.gateway, gateways) : undefined)
    .as('ranked');
  const rows = await db
    .select({ run: rectifierRuns })
    .from(rectifierRuns)
    .innerJoin(ranked, eq(ranked.id, rectifierRuns.id))
    .where(sql`${ranked.rank} <= ${limit}`)
    .orderBy(desc(rectifierRuns.finishedAt), desc(rectifierRuns.id));
  return rows.map(({ run }) => ({
    id: run.id,
    gateway: run.gateway,
    source: run.source as RunSource,
    startedAt: run.startedAt,
    finishedAt: run.finishedAt,
    attempted: run.attempted,
    rowsResolved: run.rowsResolved,
    outcomes: JSON.parse(run.outcomes) as GatewayRun['outcomes'],
    processorStatuses: JSON.parse(run.processorStatuses) as GatewayRun['processorStatuses'],
    stoppedBecause: run.stoppedBecause as GatewayRun['stoppedBecause'],
  }));
}
