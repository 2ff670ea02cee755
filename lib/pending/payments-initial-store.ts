/**
 * The `payments_initial` table: the final outcome of each payment attempt, one row per
 * (gateway, order id), written by the payments-init consumer and read by the pending consumer.
 */
import { and, eq, inArray, or, type SQL } from 'drizzle-orm';
import type { MySqlColumn } from 'drizzle-orm/mysql-core';
import type { ExecuteValues } from 'mysql2';
import { bulkInsert, columnName, flatValues } from '../db/bulk-insert';
import { executePrepared, type Db } from '../db/client';
import { paymentsInitial, type NewPaymentsInitialRow } from '../db/schema';
import { withDatabase } from '../db/transaction';
import { MalformedMessageError } from '../errors';
import { normaliseMessage, parseMessageDate } from './normalise-message';

/** A payments-init message after validation (docs/architecture.md §5). */
export interface PaymentsInitMessage {
  gateway: string;
  order_id: string;
  date: number;
  validation_action?: string;
  payments_final_status?: string;
  gateway_txn_id?: string;
  contribution_tracking_id?: string;
  payment_method?: string;
  payment_submethod?: string;
  country?: string;
  amount?: string;
  currency?: string;
  server?: string;
}

/** Final statuses of an attempt that will not be paid (SmashPig's FinalStatus FAILED and CANCELLED). */
export const FAILED_STATUSES = ['failed', 'cancelled'] as const;
/**
 * Gateways whose antifraud `reject` still leaves the payment to be captured or refused later (the
 * legacy frontend and rectifier treated Adyen's and Ingenico's rejects as they treat `review`).
 */
export const REJECT_LEFT_OPEN_GATEWAYS = ['adyen', 'ingenico'] as const;
/**
 * Gateways whose hosted page lets the donor try again under the same merchant reference: a failed
 * attempt does not end the order, so its pending rows stay for the next attempt or the rectifier
 * (the CRM's payments-init consumer kept them for the same reason).
 */
export const ORDER_REUSED_GATEWAYS = ['adyen', 'dlocal'] as const;

/**
 * True when the attempt ended unpaid and nothing can still take it (a person reviewing it, a later
 * capture, another attempt under the same order id): the order's pending rows are of no further
 * use. The legacy rule (SmashPig's isMessageFailed, with the CRM's exception for reused orders);
 * order-lookup.ts applies the same rule in SQL.
 */
export function pendingRowsObsolete(outcome: { gateway: string; payments_final_status?: string | null; validation_action?: string | null }): boolean {
  const includes = (list: readonly string[], value: string | null | undefined) => value != null && list.includes(value);
  if (!includes(FAILED_STATUSES, outcome.payments_final_status)) return false;
  if (outcome.validation_action === 'review') return false;
  if (outcome.validation_action === 'reject' && includes(REJECT_LEFT_OPEN_GATEWAYS, outcome.gateway)) return false;
  return !includes(ORDER_REUSED_GATEWAYS, outcome.gateway);
}

const OPTIONAL_STRINGS = [
  'validation_action', 'payments_final_status', 'gateway_txn_id', 'contribution_tracking_id', 'payment_method',
  'payment_submethod', 'country', 'amount', 'currency', 'server',
] as const;

/** Checks and normalises a payments-init message; MalformedMessageError names what is wrong. */
export function parsePaymentsInitMessage(input: unknown): PaymentsInitMessage {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new MalformedMessageError('payments-init message is not a JSON object');
  }
  const message = normaliseMessage(input as Record<string, unknown>);
  // normaliseMessage maps the legacy `amount` to `gross`; payments-init messages call it amount.
  if (message.amount === undefined && message.gross !== undefined) message.amount = message.gross;
  const problems: string[] = [];
  if (typeof message.gateway !== 'string') problems.push('gateway is missing');
  if (typeof message.order_id !== 'string') problems.push('order_id is missing');
  if (parseMessageDate(message.date) === null) problems.push('date is missing or not a date');
  const out: Record<string, unknown> = { gateway: message.gateway, order_id: message.order_id, date: message.date };
  for (const key of OPTIONAL_STRINGS) {
    const value = message[key];
    if (value === undefined) continue;
    if (typeof value !== 'string' && typeof value !== 'number') problems.push(`${key} is not a string`);
    else out[key] = String(value);
  }
  if (out.contribution_tracking_id !== undefined && !/^\d+$/.test(String(out.contribution_tracking_id))) {
    problems.push('contribution_tracking_id is not a number');
  }
  if (out.amount !== undefined && !/^-?\d+(\.\d+)?$/.test(String(out.amount))) problems.push('amount is not a number');
  if (problems.length > 0) throw new MalformedMessageError(`invalid payments-init message: ${problems.join('; ')}`);
  return out as unknown as PaymentsInitMessage;
}

/** Columns that an upsert takes from the newer message; `date` must stay last (see `upsertMany`). */
const UPDATED_COLUMNS = [
  'contributionTrackingId', 'gatewayTxnId', 'validationAction', 'paymentsFinalStatus', 'paymentMethod',
  'paymentSubmethod', 'country', 'amount', 'currencyCode', 'server', 'date',
] as const;

/**
 * The batch upsert. MariaDB evaluates ON DUPLICATE KEY assignments left to right, each seeing the
 * columns already assigned: `date` is compared by every other column and therefore updated last.
 * Rows of one statement are applied in order, so two outcomes of one attempt in a batch behave as
 * two statements would.
 */
const UPSERT_MANY = (() => {
  const date = columnName(paymentsInitial.date);
  const newer = `VALUES(${date}) >= ${date}`;
  const assignments = UPDATED_COLUMNS.map((key) => {
    const column = columnName(paymentsInitial[key]);
    return `${column} = IF(${newer}, VALUES(${column}), ${column})`;
  });
  return bulkInsert(
    paymentsInitial,
    ['gateway', 'orderId', 'date', ...UPDATED_COLUMNS.filter((key) => key !== 'date')],
    `ON DUPLICATE KEY UPDATE ${assignments.join(', ')}`,
  );
})();

function toRow(message: PaymentsInitMessage): NewPaymentsInitialRow {
  return {
    gateway: message.gateway,
    orderId: message.order_id,
    date: new Date(parseMessageDate(message.date)! * 1000),
    contributionTrackingId: message.contribution_tracking_id === undefined ? null : Number(message.contribution_tracking_id),
    gatewayTxnId: message.gateway_txn_id ?? null,
    validationAction: message.validation_action ?? null,
    paymentsFinalStatus: message.payments_final_status ?? null,
    paymentMethod: message.payment_method ?? null,
    paymentSubmethod: message.payment_submethod ?? null,
    country: message.country ?? null,
    amount: message.amount ?? null,
    currencyCode: message.currency ?? null,
    server: message.server ?? null,
  };
}

export class PaymentsInitialStore {
  constructor(private readonly db: Db) {}

  /** Inserts the outcome of an attempt, or updates its row: `upsertMany` of one message. */
  async upsert(message: PaymentsInitMessage): Promise<void> {
    await this.upsertMany([message]);
  }

  /**
   * Inserts or updates the outcomes of many attempts in one statement (the consumer's batch).
   * Delivery is at-least-once and not ordered, so an update applies only when the message is at
   * least as recent as the row: a late redelivery of an older outcome cannot overwrite a newer one.
   * A row the server refuses fails the whole statement (DatabaseRejectedError): the caller finds
   * which one by upserting one at a time.
   */
  async upsertMany(messages: PaymentsInitMessage[]): Promise<void> {
    if (messages.length === 0) return;
    // A prepared statement per row count, as the pending consumer's insertMany (bench/pending.ts).
    const values = flatValues(UPSERT_MANY.values(messages.map(toRow))) as ExecuteValues;
    await withDatabase('upsert payments_initial', () => executePrepared(this.db, UPSERT_MANY.prepared(messages.length), values));
  }

  /** The stored outcome of a (gateway, order id), or null. */
  async fetch(gateway: string, orderId: string) {
    const rows = await withDatabase('read payments_initial', () =>
      this.db
        .select()
        .from(paymentsInitial)
        .where(and(eq(paymentsInitial.gateway, gateway), eq(paymentsInitial.orderId, orderId)))
        .limit(1),
    );
    return rows[0] ?? null;
  }
}

/** The key the batch lookups use for a (gateway, order id) (lib/pending/order-lookup.ts). */
export function orderKey(gateway: string, orderId: string): string {
  return `${gateway}\u0000${orderId}`;
}

/**
 * The condition "(gateway, order id) is one of `orders`" on a table's two columns, as one
 * `gateway = ? AND order_id IN (…)` per gateway: index lookups for a whole batch in one statement.
 */
export function ordersCondition(gatewayColumn: MySqlColumn, orderIdColumn: MySqlColumn, orders: ReadonlyArray<{ gateway: string; orderId: string }>): SQL | undefined {
  const byGateway = new Map<string, Set<string>>();
  for (const { gateway, orderId } of orders) byGateway.set(gateway, (byGateway.get(gateway) ?? new Set()).add(orderId));
  return or(...[...byGateway].map(([gateway, ids]) => and(eq(gatewayColumn, gateway), inArray(orderIdColumn, [...ids]))));
}
