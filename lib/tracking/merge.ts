/**
 * The merge rules: how the events of one contribution tracking id make its summary.
 *
 * The summary is a pure function of the id's event log, so the incremental consumer and the
 * rebuild cannot disagree, whatever order the queue delivered messages in:
 * - a field takes the value of the latest event (by `ts`) that carries it; on equal `ts` the
 *   later received (larger event id) wins; fields no event carries stay absent;
 * - `contribution_id` is set once: the earliest received event carrying one decides (the
 *   consumer keeps conflicting messages out of the log, see batch-writer.ts);
 * - `ts` is the earliest message's `ts`: when the tracking record began, as in the legacy table.
 */
import { DETAIL_FLAG_FIELDS, DETAIL_TEXT_FIELDS, FLAG_FIELDS, TEXT_FIELDS, type TrackingFields } from './message';

export interface TrackingEvent {
  /** Event log id: arrival order. */
  eventId: number;
  trackingId: number;
  ts: string;
  fields: TrackingFields;
}

/** The fields of the legacy summary. */
export type LegacyField = (typeof TEXT_FIELDS)[number] | (typeof FLAG_FIELDS)[number] | 'contribution_id';
export type SummaryField = LegacyField | (typeof DETAIL_TEXT_FIELDS)[number] | (typeof DETAIL_FLAG_FIELDS)[number];

/** The merged state of one id, with the event that set each field (for truncation warnings). */
export interface TrackingSummary {
  id: number;
  ts: string;
  fields: TrackingFields;
  /** Event id that supplied each present field. */
  setBy: Partial<Record<SummaryField, number>>;
  /** The `ts` of that event (an amount converts at the rate of its own moment). */
  setAt: Partial<Record<SummaryField, string>>;
}

const MERGED_FIELDS: SummaryField[] = [...TEXT_FIELDS, ...FLAG_FIELDS, ...DETAIL_TEXT_FIELDS, ...DETAIL_FLAG_FIELDS];

/** Orders events the way the merge applies them: by `ts`, then by arrival. */
export function compareEvents(a: TrackingEvent, b: TrackingEvent): number {
  if (a.ts !== b.ts) return a.ts < b.ts ? -1 : 1;
  return a.eventId - b.eventId;
}

/** Folds the events of one id (any order, at least one) into its summary. */
export function foldTrackingEvents(events: readonly TrackingEvent[]): TrackingSummary {
  if (events.length === 0) throw new Error('foldTrackingEvents needs at least one event');
  const ordered = [...events].sort(compareEvents);
  const first = ordered[0]!;
  const summary: TrackingSummary = { id: first.trackingId, ts: first.ts, fields: {}, setBy: {}, setAt: {} };
  const target = summary.fields as Record<string, unknown>;
  for (const event of ordered) {
    const source = event.fields as Record<string, unknown>;
    for (const name of MERGED_FIELDS) {
      if (source[name] !== undefined) {
        target[name] = source[name];
        summary.setBy[name] = event.eventId;
        summary.setAt[name] = event.ts;
      }
    }
  }
  let contributionFrom: TrackingEvent | undefined;
  for (const event of events) {
    if (event.fields.contribution_id !== undefined && (!contributionFrom || event.eventId < contributionFrom.eventId)) {
      contributionFrom = event;
    }
  }
  if (contributionFrom) {
    summary.fields.contribution_id = contributionFrom.fields.contribution_id;
    summary.setBy.contribution_id = contributionFrom.eventId;
    summary.setAt.contribution_id = contributionFrom.ts;
  }
  return summary;
}

/** Groups events by tracking id and folds each group; the result is keyed by id. */
export function foldByTrackingId(events: readonly TrackingEvent[]): Map<number, TrackingSummary> {
  const groups = new Map<number, TrackingEvent[]>();
  for (const event of events) {
    const group = groups.get(event.trackingId);
    if (group) group.push(event);
    else groups.set(event.trackingId, [event]);
  }
  const result = new Map<number, TrackingSummary>();
  for (const [id, group] of groups) result.set(id, foldTrackingEvents(group));
  return result;
}
