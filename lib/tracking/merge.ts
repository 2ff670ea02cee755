/**
 * The merge rules: how the events of one contribution tracking id make its summary.
 *
 * The summary is a pure function of the id's event log, so the incremental consumer and the
 * rebuild cannot disagree, whatever order the queue delivered messages in:
 * - a field takes the value of the latest event (by `ts`) that carries it; on equal `ts` the
 *   later received (larger event id) wins; fields no event carries stay absent;
 * - an event without `ts` (its message carried no time: the CRM's contribution_id update) is
 *   placed by arrival, right after the events of its id received before it: it takes the latest
 *   `ts` among them (before every dated event when none was), then ties go by arrival as above.
 *   Its message says nothing about when it was sent, only that it came after those, which is
 *   how the CRM's consumer applied it (in the order processed). Only for such events does the
 *   delivery order matter;
 * - an event that carries no `form_amount` (`payments_form`) of its own but the newer frontend's
 *   fields it is made of, amount and currency (gateway with appeal or payments_form_variant),
 *   carries the one they make (legacy-form.ts), and merges as if it had sent it. It is made of
 *   the event's own fields, not of the merged ones: the legacy summary's upsert keeps a column
 *   the merge leaves unset (rows from before the cutover keep their data), so a column once set
 *   must stay set as events are added, and one made of merged fields would not (an earlier-dated
 *   message arriving late can change what a later message's fields make, to nothing), leaving
 *   the consumer's row with a value the rebuild does not give;
 * - `contribution_id` is set once: the earliest received event carrying one decides (the
 *   consumer keeps conflicting messages out of the log, see batch-writer.ts);
 * - `ts` is the earliest `ts` an event carries: when the tracking record began, as in the legacy
 *   table; events without one never set or move it (no event with one: no ts).
 */
import { formAmountOfNewer, paymentsFormOfNewer } from './legacy-form';
import { DETAIL_FLAG_FIELDS, DETAIL_TEXT_FIELDS, FLAG_FIELDS, TEXT_FIELDS, type TrackingFields } from './message';

export interface TrackingEvent {
  /** Event log id: arrival order. */
  eventId: number;
  trackingId: number;
  /** The message's time; null when it carried none. */
  ts: string | null;
  fields: TrackingFields;
}

/** The fields of the legacy summary. */
export type LegacyField = (typeof TEXT_FIELDS)[number] | (typeof FLAG_FIELDS)[number] | 'contribution_id';
export type SummaryField = LegacyField | (typeof DETAIL_TEXT_FIELDS)[number] | (typeof DETAIL_FLAG_FIELDS)[number];

/** The merged state of one id, with the event that set each field (for truncation warnings). */
export interface TrackingSummary {
  id: number;
  /** The earliest ts of the id's events; null when none carried one. */
  ts: string | null;
  fields: TrackingFields;
  /** Event id that supplied each present field. */
  setBy: Partial<Record<SummaryField, number>>;
  /**
   * The moment of that event (an amount converts at the rate of its own moment): its `ts`, or for
   * an event without one the `ts` it was placed after; absent when it was placed before them all.
   */
  setAt: Partial<Record<SummaryField, string>>;
}

const MERGED_FIELDS: SummaryField[] = [...TEXT_FIELDS, ...FLAG_FIELDS, ...DETAIL_TEXT_FIELDS, ...DETAIL_FLAG_FIELDS];

/** An event's fields with the legacy form_amount and payments_form its newer fields make, where it has none of its own. */
function withLegacyForm(fields: TrackingFields): TrackingFields {
  const formAmount = fields.form_amount ?? formAmountOfNewer(fields.amount, fields.currency);
  const paymentsForm = fields.payments_form ?? paymentsFormOfNewer(fields.gateway, fields.appeal, fields.payments_form_variant);
  if (formAmount === fields.form_amount && paymentsForm === fields.payments_form) return fields;
  return { ...fields, ...(formAmount !== undefined && { form_amount: formAmount }), ...(paymentsForm !== undefined && { payments_form: paymentsForm }) };
}

/** An event in the merge's order, with the moment it is applied at (`at`: null before every dated event). */
export interface PlacedEvent<T extends TrackingEvent = TrackingEvent> {
  event: T;
  at: string | null;
}

/**
 * Orders the events of one id the way the merge applies them: by `ts`, ties by arrival, an event
 * without `ts` at the latest `ts` of the events received before it (see the module comment).
 */
export function mergeOrder<T extends TrackingEvent>(events: readonly T[]): Array<PlacedEvent<T>> {
  let latest: string | null = null;
  const placed = [...events]
    .sort((a, b) => a.eventId - b.eventId)
    .map((event) => {
      if (event.ts !== null && (latest === null || event.ts > latest)) latest = event.ts;
      return { event, at: event.ts ?? latest };
    });
  return placed.sort((a, b) => {
    if (a.at !== b.at) return (a.at ?? '') < (b.at ?? '') ? -1 : 1;
    return a.event.eventId - b.event.eventId;
  });
}

/** Folds the events of one id (any order, at least one) into its summary. */
export function foldTrackingEvents(events: readonly TrackingEvent[]): TrackingSummary {
  if (events.length === 0) throw new Error('foldTrackingEvents needs at least one event');
  const ordered = mergeOrder(events);
  const dated = ordered.find(({ event }) => event.ts !== null);
  const summary: TrackingSummary = { id: ordered[0]!.event.trackingId, ts: dated?.event.ts ?? null, fields: {}, setBy: {}, setAt: {} };
  const target = summary.fields as Record<string, unknown>;
  const atOf = new Map<number, string | null>();
  for (const { event, at } of ordered) {
    atOf.set(event.eventId, at);
    const source = withLegacyForm(event.fields) as Record<string, unknown>;
    for (const name of MERGED_FIELDS) {
      if (source[name] !== undefined) {
        target[name] = source[name];
        summary.setBy[name] = event.eventId;
        setMoment(summary, name, at);
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
    setMoment(summary, 'contribution_id', atOf.get(contributionFrom.eventId) ?? null);
  }
  return summary;
}

function setMoment(summary: TrackingSummary, name: SummaryField, at: string | null): void {
  if (at === null) delete summary.setAt[name];
  else summary.setAt[name] = at;
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
