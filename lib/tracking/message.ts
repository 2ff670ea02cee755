/**
 * Contribution tracking messages (docs/architecture.md §5): validation and normalisation.
 *
 * The wire format carries numbers as strings; this module turns a parsed JSON body into typed
 * fields once, so that the event log, the merge and the producer agree on what a message says.
 * Unknown fields are kept (the event log stores the body verbatim) and ignored by the summary.
 */
import { isJsonObject, parseJsonObject } from '../json-object';
import { MalformedTrackingMessageError } from './errors';

/** The text fields a message may carry, as they appear on the wire. */
export const TEXT_FIELDS = [
  'note',
  'referrer',
  'utm_source',
  'utm_medium',
  'utm_campaign',
  'utm_key',
  'language',
  'country',
  'form_amount',
  'payments_form',
] as const;

/** The 0/1 flags a message may carry. */
export const FLAG_FIELDS = ['anonymous', 'optout'] as const;

/**
 * Fields of the newer frontend that only `contribution_tracking_detail` has columns for (the
 * CRM's newer tracking table's names). They were unknown fields before, and the event log holds
 * such messages already: a value of the wrong type is therefore ignored, never a reason to reject
 * a message (or to fail a rebuild of old events).
 */
export const DETAIL_TEXT_FIELDS = [
  'amount',
  'currency',
  'gateway',
  'appeal',
  'payments_form_variant',
  'payment_method',
  'payment_submethod',
  'browser',
  'browser_version',
  'os',
  'os_version',
] as const;

/** The newer frontend's 0/1 flags, read as leniently as DETAIL_TEXT_FIELDS. */
export const DETAIL_FLAG_FIELDS = ['is_recurring'] as const;

export type TextField = (typeof TEXT_FIELDS)[number];
export type FlagField = (typeof FLAG_FIELDS)[number];
export type DetailTextField = (typeof DETAIL_TEXT_FIELDS)[number];
export type DetailFlagField = (typeof DETAIL_FLAG_FIELDS)[number];

/** The summary-relevant fields of one message, typed; absent fields are absent. */
export type TrackingFields = Partial<
  Record<TextField, string> & Record<FlagField, 0 | 1> & Record<DetailTextField, string> & Record<DetailFlagField, 0 | 1>
> & {
  contribution_id?: number;
};

export interface TrackingMessage {
  /** The contribution tracking id. */
  id: number;
  /**
   * When the message was sent, `YYYYmmddHHMMSS` in UTC: its `ts`, else its `tracking_date`. Null
   * when it carries neither, as the CRM's contribution_id update does: the merge then places it
   * by arrival (merge.ts).
   */
  ts: string | null;
  fields: TrackingFields;
}

const DIGITS = /^[0-9]+$/;
const TS = /^[0-9]{14}$/;
const DATETIME = /^([0-9]{4})-([0-9]{2})-([0-9]{2})[ T]([0-9]{2}):([0-9]{2}):([0-9]{2})$/;
/** The last second a 14-digit ts can name (9999-12-31 23:59:59), in unix seconds. */
const MAX_UNIX_SECONDS = Date.UTC(9999, 11, 31, 23, 59, 59) / 1000;

/** Parses a raw queue body; a body that is not a JSON object is malformed. */
export function parseTrackingBody(body: string): TrackingMessage {
  return normaliseTrackingMessage(parseTrackingObject(body));
}

/**
 * The JSON object of a raw queue body, not yet validated: the batch writer hashes it as it
 * came, before normalising. Throws the same MalformedTrackingMessageError as parseTrackingBody.
 */
export function parseTrackingObject(body: string): Record<string, unknown> {
  const parsed = parseJsonObject(body);
  if (parsed.ok) return parsed.value;
  throw new MalformedTrackingMessageError(parsed.problem === 'not-json' ? 'body is not valid JSON' : 'message must be a JSON object');
}

/** Validates a decoded message and returns its typed fields; throws naming the first bad field. */
export function normaliseTrackingMessage(input: unknown): TrackingMessage {
  if (!isJsonObject(input)) throw new MalformedTrackingMessageError('message must be a JSON object');
  const raw = input;
  const id = parsePositiveInteger(raw.id, 'id', true);
  // The CRM's consumer reads `ts`, else `tracking_date`; only `id` is required. tracking_date is
  // read only without ts, so events logged before it was read (all of which have a ts) parse as before.
  const ts = parseTs(raw.ts, false) ?? parseTrackingDate(raw.tracking_date) ?? null;
  const fields: TrackingFields = {};
  for (const name of TEXT_FIELDS) {
    const value = parseText(raw[name], name);
    if (value !== undefined) fields[name] = value;
  }
  for (const name of FLAG_FIELDS) {
    const value = parseFlag(raw[name], name);
    if (value !== undefined) fields[name] = value;
  }
  for (const name of DETAIL_TEXT_FIELDS) {
    const value = raw[name];
    if (typeof value === 'string') fields[name] = value;
    else if (typeof value === 'number' && Number.isFinite(value)) fields[name] = String(value);
  }
  for (const name of DETAIL_FLAG_FIELDS) {
    try {
      const value = parseFlag(raw[name], name);
      if (value !== undefined) fields[name] = value;
    } catch {
      // See DETAIL_TEXT_FIELDS: ignored, not refused.
    }
  }
  const contributionId = parsePositiveInteger(raw.contribution_id, 'contribution_id', false);
  if (contributionId !== undefined) fields.contribution_id = contributionId;
  return { id: id!, ts, fields };
}

/** Reads an id-like field (numbers travel as strings); ids are bigint columns read as JS numbers, hence the 2^53 bound. */
export function parsePositiveInteger(value: unknown, name: string, required: boolean): number | undefined {
  if (value === undefined || value === null || value === '') {
    if (required) throw new MalformedTrackingMessageError(`${name} is missing`);
    return undefined;
  }
  const text = typeof value === 'number' ? String(value) : value;
  if (typeof text !== 'string' || !DIGITS.test(text)) {
    throw new MalformedTrackingMessageError(`${name} must be a positive whole number`);
  }
  const number = Number(text);
  if (number < 1 || !Number.isSafeInteger(number)) {
    throw new MalformedTrackingMessageError(`${name} must be a positive whole number below 2^53`);
  }
  return number;
}

/** Checks a `YYYYmmddHHMMSS` timestamp, including that it names a real moment. */
export function parseTs(value: unknown, required: boolean): string | undefined {
  if (value === undefined || value === null || value === '') {
    if (required) throw new MalformedTrackingMessageError('ts is missing');
    return undefined;
  }
  const text = typeof value === 'number' ? String(value) : value;
  if (typeof text !== 'string' || !TS.test(text)) {
    throw new MalformedTrackingMessageError('ts must be 14 digits, YYYYmmddHHMMSS in UTC');
  }
  const [y, mo, d, h, mi, s] = [0, 4, 6, 8, 10, 12].map((at, i) => Number(text.slice(at, at + (i === 0 ? 4 : 2))));
  const date = new Date(Date.UTC(y!, mo! - 1, d!, h!, mi!, s!));
  if (
    date.getUTCFullYear() !== y ||
    date.getUTCMonth() !== mo! - 1 ||
    date.getUTCDate() !== d ||
    date.getUTCHours() !== h ||
    date.getUTCMinutes() !== mi ||
    date.getUTCSeconds() !== s
  ) {
    throw new MalformedTrackingMessageError('ts is not a valid date and time');
  }
  return text;
}

/**
 * Reads the CRM's `tracking_date` as a `YYYYmmddHHMMSS` ts: `YYYY-mm-dd HH:MM:SS` (PHP's
 * `date('Y-m-d H:i:s')`, UTC, from QueueConsumer and the audit processors) or unix seconds (the
 * recurring consumer passes a message's `date` through). Undefined when absent or blank.
 */
export function parseTrackingDate(value: unknown): string | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  const text = typeof value === 'number' ? String(value) : value;
  if (typeof text !== 'string') throw new MalformedTrackingMessageError('tracking_date must be YYYY-mm-dd HH:MM:SS or unix seconds, in UTC');
  if (DIGITS.test(text)) {
    const seconds = Number(text);
    if (seconds < 1 || seconds > MAX_UNIX_SECONDS) throw new MalformedTrackingMessageError('tracking_date is not a valid date and time');
    return formatTs(new Date(seconds * 1000));
  }
  const parts = DATETIME.exec(text);
  if (!parts) throw new MalformedTrackingMessageError('tracking_date must be YYYY-mm-dd HH:MM:SS or unix seconds, in UTC');
  const ts = parts.slice(1).join('');
  try {
    return parseTs(ts, true);
  } catch {
    throw new MalformedTrackingMessageError('tracking_date is not a valid date and time');
  }
}

/** Formats a moment as the wire's `YYYYmmddHHMMSS` (UTC). */
export function formatTs(date: Date): string {
  return date.toISOString().replace(/[-:T]/g, '').slice(0, 14);
}

function parseText(value: unknown, name: string): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  throw new MalformedTrackingMessageError(`${name} must be a string`);
}

function parseFlag(value: unknown, name: string): 0 | 1 | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  if (value === 1 || value === '1' || value === true || value === 'true') return 1;
  if (value === 0 || value === '0' || value === false || value === 'false') return 0;
  throw new MalformedTrackingMessageError(`${name} must be 0 or 1`);
}
