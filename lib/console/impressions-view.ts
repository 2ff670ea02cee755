/**
 * What the console shows of the impressions loader, read-only: its lag per topic and partition
 * (lib/impressions/lag.ts) and one campaign's events per minute over the last hour, as the
 * loader counted them: banner impressions (`bannerimpressions.count`, the legacy sampled series)
 * and landing page views (`landingpageimpression_raw` rows by utm_campaign).
 */
import { and, eq, gte, sql } from 'drizzle-orm';
import type { Db } from '../db/client';
import { bannerimpressions, landingpageimpressionRaw } from '../db/schema';

/** Minutes a campaign chart covers. */
export const CAMPAIGN_CHART_MINUTES = 60;

export interface CampaignMinutes {
  campaign: string;
  /** The first minute's start (UTC). */
  start: Date;
  /** Per minute, oldest first: banner impressions counted. */
  banner: number[];
  /** Per minute, oldest first: landing page views. */
  landingPage: number[];
}

/** One campaign's counts per minute over the last CAMPAIGN_CHART_MINUTES minutes up to `now`. */
export async function campaignMinutes(db: Db, campaign: string, now: Date = new Date()): Promise<CampaignMinutes> {
  const thisMinute = Math.floor(now.getTime() / 60_000) * 60_000;
  const start = new Date(thisMinute - (CAMPAIGN_CHART_MINUTES - 1) * 60_000);
  const minuteOf = (column: typeof bannerimpressions.timestamp | typeof landingpageimpressionRaw.timestamp) => sql<string>`DATE_FORMAT(${column}, '%Y-%m-%dT%H:%i')`;
  const [banner, landing] = await Promise.all([
    db
      .select({ minute: minuteOf(bannerimpressions.timestamp), n: sql<number>`SUM(${bannerimpressions.count})` })
      .from(bannerimpressions)
      .where(and(eq(bannerimpressions.campaign, campaign), gte(bannerimpressions.timestamp, start)))
      .groupBy(minuteOf(bannerimpressions.timestamp)),
    db
      .select({ minute: minuteOf(landingpageimpressionRaw.timestamp), n: sql<number>`COUNT(*)` })
      .from(landingpageimpressionRaw)
      .where(and(eq(landingpageimpressionRaw.utmCampaign, campaign), gte(landingpageimpressionRaw.timestamp, start)))
      .groupBy(minuteOf(landingpageimpressionRaw.timestamp)),
  ]);
  const series = (rows: Array<{ minute: string; n: number }>) => {
    const values = new Array<number>(CAMPAIGN_CHART_MINUTES).fill(0);
    for (const row of rows) {
      const index = Math.round((Date.parse(`${row.minute}:00Z`) - start.getTime()) / 60_000);
      if (index >= 0 && index < CAMPAIGN_CHART_MINUTES) values[index] = Number(row.n);
    }
    return values;
  };
  return { campaign, start, banner: series(banner), landingPage: series(landing) };
}
