/**
 * The one place where pending and donation messages are brought to the wire format of
 * docs/architecture.md §5, whatever producer (or legacy channel) sent them.
 *
 * - legacy key names become the current ones (`currency_code` → `currency`, …);
 * - `date` becomes unix seconds, from unix seconds, an ISO 8601 string or `YYYY-mm-dd HH:MM:SS` (UTC);
 * - numbers in string fields become strings (numbers travel as strings, except `date`);
 * - blank (`""`) and null values are omitted, as the wire format says absent fields are;
 * - every other key is kept as it came.
 */
import { MalformedMessageError } from '../errors';
import { isJsonObject } from '../json-object';

/** Legacy key → current key. */
export const LEGACY_KEYS: Readonly<Record<string, string>> = {
  currency_code: 'currency',
  amount: 'gross',
  fname: 'first_name',
  lname: 'last_name',
  zip: 'postal_code',
  state: 'state_province',
  street: 'street_address',
  street_supplemental: 'supplemental_address_1',
};

/** Fields that travel as strings even when a producer sent a number. */
const STRING_FIELDS = new Set([
  'gross', 'fee', 'contribution_tracking_id', 'order_id', 'gateway_txn_id', 'gateway_account',
  'gateway_session_id', 'risk_score', 'postal_code', 'completion_message_id',
]);

export type PendingMessage = Record<string, unknown> & {
  gateway: string;
  date: number;
  order_id?: string;
  gateway_txn_id?: string;
  gateway_account?: string;
  payment_method?: string;
  contribution_tracking_id?: string;
};

const DB_DATETIME = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})$/;
/** The latest instant a DATETIME column holds, in unix seconds (9999-12-31 23:59:59). */
const MAX_SECONDS = Date.UTC(9999, 11, 31, 23, 59, 59) / 1000;

function inRange(seconds: number): number | null {
  return Number.isFinite(seconds) && seconds > 0 && seconds <= MAX_SECONDS ? Math.floor(seconds) : null;
}

/**
 * Reads a `date` as producers send it and returns unix seconds, or null when it is not a date.
 * A `YYYY-mm-dd HH:MM:SS` string has no zone and is read as UTC, like every legacy date.
 */
export function parseMessageDate(value: unknown): number | null {
  if (typeof value === 'number') return inRange(value);
  if (typeof value !== 'string') return null;
  const text = value.trim();
  if (/^\d+(\.\d+)?$/.test(text)) return inRange(Number(text));
  const plain = DB_DATETIME.exec(text);
  if (plain) {
    const [, y, mo, d, h, mi, s] = plain.map(Number) as number[];
    const ms = Date.UTC(y!, mo! - 1, d!, h!, mi!, s!);
    const check = new Date(ms);
    // Date.UTC rolls 2024-02-31 over into March: reject impossible dates instead.
    if (check.getUTCMonth() !== mo! - 1 || check.getUTCDate() !== d!) return null;
    return inRange(ms / 1000);
  }
  if (!/^\d{4}-\d{2}-\d{2}T/.test(text)) return null;
  const ms = Date.parse(text);
  return Number.isNaN(ms) ? null : inRange(ms / 1000);
}

/**
 * Returns the message with current key names, `date` in unix seconds and blanks omitted. A
 * legacy key whose current name is also present with a different value is kept under its
 * legacy name, so that nothing a producer sent is lost.
 */
export function normaliseMessage(input: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(input)) {
    if (value === null || value === undefined || value === '') continue;
    if (!(key in LEGACY_KEYS)) out[key] = value;
  }
  for (const [legacy, current] of Object.entries(LEGACY_KEYS)) {
    const value = input[legacy];
    if (value === null || value === undefined || value === '') continue;
    if (!(current in out)) out[current] = value;
    else if (out[current] !== value) out[legacy] = value;
  }
  for (const key of STRING_FIELDS) {
    if (typeof out[key] === 'number') out[key] = String(out[key]);
  }
  if ('date' in out) {
    const date = parseMessageDate(out.date);
    if (date !== null) out.date = date;
  }
  return out;
}

/**
 * Normalises and checks what a pending row needs: a gateway, a date, and an order id or a
 * gateway transaction id. Throws MalformedMessageError naming the problem (never a value).
 */
export function normalisePendingMessage(input: unknown): PendingMessage {
  if (!isJsonObject(input)) throw new MalformedMessageError('pending message is not a JSON object');
  const raw = input;
  const message = normaliseMessage(raw);
  const problems: string[] = [];
  if (typeof message.gateway !== 'string' || message.gateway.trim() === '') problems.push('gateway is missing');
  if (message.date === undefined) problems.push('date is missing');
  else if (typeof message.date !== 'number') problems.push('date is not unix seconds, an ISO 8601 string or YYYY-mm-dd HH:MM:SS');
  if (message.order_id === undefined && message.gateway_txn_id === undefined) {
    problems.push('order_id and gateway_txn_id are both missing');
  }
  for (const key of ['order_id', 'gateway_txn_id', 'gateway_account', 'payment_method'] as const) {
    if (message[key] !== undefined && typeof message[key] !== 'string') problems.push(`${key} is not a string`);
  }
  if (problems.length > 0) throw new MalformedMessageError(`invalid pending message: ${problems.join('; ')}`);
  return message as PendingMessage;
}
