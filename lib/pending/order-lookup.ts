/**
 * What the pending consumer asks after storing a batch: which of its orders already failed (and
 * are not under review) in `payments_initial`, and which are settled in `pending_settled`
 * (docs/architecture.md §7.1). One statement for both, a UNION ALL of two index lookups: one
 * round trip and one statement for the server per batch, where two statements at once on two
 * connections cost a second parse and a second connection's turn (bench/pending.ts).
 */
import { and, eq, sql } from 'drizzle-orm';
import { unionAll } from 'drizzle-orm/mysql-core';
import type { Db } from '../db/client';
import { paymentsInitial, pendingSettled } from '../db/schema';
import { withDatabase } from '../db/transaction';
import { orderKey, ordersCondition } from './payments-initial-store';

/** The orders of a batch that failed and that are settled, as `orderKey` keys. */
export interface OrderOutcomes {
  failed: Set<string>;
  settled: Set<string>;
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
    const failed = this.db
      .select({ settled: sql<number>`0`.as('settled'), gateway: paymentsInitial.gateway, orderId: paymentsInitial.orderId })
      .from(paymentsInitial)
      .where(
        and(
          eq(paymentsInitial.paymentsFinalStatus, 'failed'),
          sql`NOT (${paymentsInitial.validationAction} <=> 'review')`,
          ordersCondition(paymentsInitial.gateway, paymentsInitial.orderId, orders),
        ),
      );
    const settled = this.db
      .select({ settled: sql<number>`1`.as('settled'), gateway: pendingSettled.gateway, orderId: pendingSettled.orderId })
      .from(pendingSettled)
      .where(ordersCondition(pendingSettled.gateway, pendingSettled.orderId, orders));
    const rows = await withDatabase('look up failed and settled orders', () => unionAll(failed, settled));
    for (const row of rows) (Number(row.settled) === 1 ? outcomes.settled : outcomes.failed).add(orderKey(row.gateway, row.orderId));
    return outcomes;
  }
}
