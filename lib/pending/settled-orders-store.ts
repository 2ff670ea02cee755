/**
 * The `pending_settled` table: which orders are settled, so that a pending message arriving after
 * its order's completion (SQS does not keep order; a redelivery can come late) adds no row that
 * the rectifier would take thirty minutes later.
 */
import { asc, lt, sql } from 'drizzle-orm';
import type { Db } from '../db/client';
import { pendingSettled } from '../db/schema';
import { orderKey, ordersCondition } from './payments-initial-store';

export class SettledOrdersStore {
  constructor(private readonly db: Db) {}

  /** Records that an order is settled (idempotent: the first settlement's time is kept). */
  async record(gateway: string, orderId: string, at: Date = new Date()): Promise<void> {
    await this.recordMany([{ gateway, orderId }], at);
  }

  /** `record` for many orders in one statement (a batch's completions). */
  async recordMany(orders: ReadonlyArray<{ gateway: string; orderId: string }>, at: Date = new Date()): Promise<void> {
    if (orders.length === 0) return;
    await this.db
      .insert(pendingSettled)
      .values(orders.map(({ gateway, orderId }) => ({ gateway, orderId, settledAt: at })))
      .onDuplicateKeyUpdate({ set: { id: sql`${pendingSettled.id}` } });
  }

  /** Of these (gateway, order id) pairs, those settled, as `orderKey` keys: one query per batch. */
  async settledOrders(orders: Array<{ gateway: string; orderId: string }>): Promise<Set<string>> {
    if (orders.length === 0) return new Set();
    const rows = await this.db
      .select({ gateway: pendingSettled.gateway, orderId: pendingSettled.orderId })
      .from(pendingSettled)
      .where(ordersCondition(pendingSettled.gateway, pendingSettled.orderId, orders));
    return new Set(rows.map((row) => orderKey(row.gateway, row.orderId)));
  }

  /**
   * Deletes up to `batchSize` records settled before `before`, oldest first; the caller loops until
   * fewer went. A pending message older than the pending rows' expiry has no row to come back to.
   */
  async expireOlderThan(before: Date, batchSize: number): Promise<number> {
    const [result] = await this.db.delete(pendingSettled).where(lt(pendingSettled.settledAt, before)).orderBy(asc(pendingSettled.settledAt)).limit(batchSize);
    return result.affectedRows;
  }
}
