import { bigint, datetime, index, longtext, mysqlTable, text, varchar } from 'drizzle-orm/mysql-core';

/**
 * The failure store: where people look when a message could not be processed. It never
 * rejects a row, so every column but the dates is nullable and long enough for any input.
 */
export const damaged = mysqlTable(
  'damaged',
  {
    id: bigint('id', { mode: 'number', unsigned: true }).autoincrement().primaryKey(),
    originalDate: datetime('original_date', { mode: 'date' }).notNull(),
    damagedDate: datetime('damaged_date', { mode: 'date' }).notNull(),
    retryDate: datetime('retry_date', { mode: 'date' }),
    originalQueue: varchar('original_queue', { length: 255 }).notNull(),
    gateway: varchar('gateway', { length: 255 }),
    orderId: varchar('order_id', { length: 255 }),
    gatewayTxnId: varchar('gateway_txn_id', { length: 255 }),
    error: text('error'),
    trace: text('trace'),
    message: longtext('message').notNull(),
  },
  (t) => [
    index('idx_damaged_retry_date').on(t.retryDate),
    index('idx_damaged_original_queue').on(t.originalQueue),
    index('idx_damaged_order_id_gateway').on(t.orderId, t.gateway),
    index('idx_damaged_gateway_txn_id_gateway').on(t.gatewayTxnId, t.gateway),
  ],
);

export type DamagedRow = typeof damaged.$inferSelect;
export type NewDamagedRow = typeof damaged.$inferInsert;
