/**
 * What the pending consumer asks after storing a batch: which of its orders already failed (and
 * are not under review) in `payments_initial`, and which are settled in `pending_settled`
 * (docs/architecture.md §7.1). One statement for both, a UNION ALL of two index lookups, run as a
 * server-side prepared statement: one round trip per batch, and a batch of the usual shape (one
 * gateway, a full batch) reuses the statement the connection prepared for the batch before,
 * where Drizzle's builder and the text of a thousand escaped values cost about a third of the
 * lookup's time (bench/pending.ts).
 */
import { getTableName } from 'drizzle-orm';
import { escapeId, type RowDataPacket } from 'mysql2';
import { columnName } from '../db/bulk-insert';
import { queryPrepared, type Db } from '../db/client';
import { paymentsInitial, pendingSettled } from '../db/schema';
import { withDatabase } from '../db/transaction';
import { orderKey, ordersByGateway } from './payments-initial-store';

/** The orders of a batch that failed and that are settled, as `orderKey` keys. */
export interface OrderOutcomes {
  failed: Set<string>;
  settled: Set<string>;
}

type OutcomeRow = RowDataPacket & { settled: number; gateway: string; order_id: string };

/** `gateway = ? AND order_id IN (?, …)` per gateway, and its values, on one table's columns (ordersCondition's shape, as text for a prepared statement). */
function ordersWhere(table: typeof paymentsInitial | typeof pendingSettled, byGateway: Map<string, string[]>): { where: string; values: string[] } {
  const gateway = columnName(table.gateway);
  const orderId = columnName(table.orderId);
  const clauses: string[] = [];
  const values: string[] = [];
  for (const [name, ids] of byGateway) {
    clauses.push(`(${gateway} = ? AND ${orderId} IN (${ids.map(() => '?').join(', ')}))`);
    values.push(name, ...ids);
  }
  return { where: clauses.join(' OR '), values };
}

export class OrderOutcomesLookup {
  constructor(private readonly db: Db) {}

  /**
   * Of these (gateway, order id) pairs, those whose attempt failed and is not under review
   * (`isFailedNotUnderReview` in SQL) and those settled (as SettledOrdersStore.settledOrders).
   */
  async lookUp(orders: Array<{ gateway: string; orderId: string }>): Promise<OrderOutcomes> {
    const outcomes: OrderOutcomes = { failed: new Set(), settled: new Set() };
    if (orders.length === 0) return outcomes;
    const byGateway = ordersByGateway(orders);
    const failed = ordersWhere(paymentsInitial, byGateway);
    const settled = ordersWhere(pendingSettled, byGateway);
    const statement =
      `SELECT 0 AS settled, ${columnName(paymentsInitial.gateway)} AS gateway, ${columnName(paymentsInitial.orderId)} AS order_id FROM ${escapeId(getTableName(paymentsInitial))}` +
      ` WHERE ${columnName(paymentsInitial.paymentsFinalStatus)} = 'failed' AND NOT (${columnName(paymentsInitial.validationAction)} <=> 'review') AND (${failed.where})` +
      ` UNION ALL SELECT 1, ${columnName(pendingSettled.gateway)}, ${columnName(pendingSettled.orderId)} FROM ${escapeId(getTableName(pendingSettled))} WHERE ${settled.where}`;
    const rows = await withDatabase('look up failed and settled orders', () => queryPrepared<OutcomeRow>(this.db, statement, [...failed.values, ...settled.values]));
    for (const row of rows) (Number(row.settled) === 1 ? outcomes.settled : outcomes.failed).add(orderKey(row.gateway, row.order_id));
    return outcomes;
  }
}
