/**
 * One contribution tracking id as the console shows it: its event log (every message, in the
 * order the merge applies them) beside the summary row the merge wrote, so that an operator can
 * see which message set which field (docs/architecture.md §7.2).
 */
import { eq } from 'drizzle-orm';
import type { Db } from '../db/client';
import { contributionSource, contributionTracking, contributionTrackingEvent } from '../db/schema';
import { mergeOrder } from '../tracking/merge';
import { maskedValue, maskJson } from './mask';

export interface TrackingHistory {
  id: number;
  summary: Record<string, unknown> | null;
  source: Record<string, unknown> | null;
  /** In merge order (lib/tracking/merge.ts); `ts` null for a message that carried no time. */
  events: Array<{ eventId: number; ts: string | null; receivedAt: Date; message: unknown }>;
}

/** The event log and summary of one contribution tracking id, masked. */
export async function trackingHistory(db: Db, id: number): Promise<TrackingHistory> {
  const [summary, source, events] = await Promise.all([
    db.select().from(contributionTracking).where(eq(contributionTracking.id, id)).limit(1),
    db.select().from(contributionSource).where(eq(contributionSource.contributionTrackingId, id)).limit(1),
    db.select().from(contributionTrackingEvent).where(eq(contributionTrackingEvent.contributionTrackingId, id)),
  ]);
  // The merge's own order, not ORDER BY ts: an event without ts is applied where it arrived.
  const ordered = mergeOrder(events.map((e) => ({ eventId: e.id, trackingId: e.contributionTrackingId, ts: e.ts, fields: {}, row: e }))).map(({ event }) => event.row);
  return {
    id,
    summary: summary[0] ? (maskJson(summary[0]) as Record<string, unknown>) : null,
    source: source[0] ? { ...source[0] } : null,
    events: ordered.map((e) => ({ eventId: e.id, ts: e.ts, receivedAt: e.receivedAt, message: maskedValue(e.message) })),
  };
}
