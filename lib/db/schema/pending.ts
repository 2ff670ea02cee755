import {
  bigint,
  boolean,
  customType,
  datetime,
  decimal,
  index,
  mysqlTable,
  unique,
  char,
  varchar,
} from 'drizzle-orm/mysql-core';

/**
 * A JSON document column. MariaDB stores JSON as LONGTEXT with a json_valid check, and whether
 * mysql2 hands it back parsed depends on the driver version and the protocol used; this column
 * accepts both forms, so reads always yield the parsed object.
 */
const jsonDocument = customType<{ data: Record<string, unknown>; driverData: string | Record<string, unknown> }>({
  dataType: () => 'json',
  toDriver: (value) => JSON.stringify(value),
  fromDriver: (value) => (typeof value === 'string' ? (JSON.parse(value) as Record<string, unknown>) : value),
});

/**
 * Every payment whose donor went to a processor and has not come back yet (docs/architecture.md §6).
 * Several rows may share an order id: there is deliberately no unique key on (gateway, order_id),
 * and every job acts on all rows of an order at once. `message_key` is the identity of the
 * message a row was imported from (the SHA-256 of its content without source fields,
 * lib/pending/pending-store.ts), unique, so that a redelivered message adds no second row; rows
 * imported before it existed have none. `date` holds UTC.
 */
export const pending = mysqlTable(
  'pending',
  {
    id: bigint('id', { mode: 'number', unsigned: true }).autoincrement().primaryKey(),
    date: datetime('date', { mode: 'date' }).notNull(),
    gateway: varchar('gateway', { length: 255 }).notNull(),
    gatewayAccount: varchar('gateway_account', { length: 255 }),
    orderId: varchar('order_id', { length: 255 }),
    gatewayTxnId: varchar('gateway_txn_id', { length: 255 }),
    paymentMethod: varchar('payment_method', { length: 16 }),
    isResolved: boolean('is_resolved').notNull().default(false),
    message: jsonDocument('message').notNull(),
    messageKey: char('message_key', { length: 64 }),
  },
  (t) => [
    unique('uniq_pending_message_key').on(t.messageKey),
    index('idx_pending_date').on(t.date),
    index('idx_pending_order_id_gateway').on(t.orderId, t.gateway),
    index('idx_pending_gateway_txn_id_gateway').on(t.gatewayTxnId, t.gateway),
    index('idx_pending_resolved_gateway_method_date').on(t.isResolved, t.gateway, t.paymentMethod, t.date),
  ],
);

export type PendingRow = typeof pending.$inferSelect;
export type NewPendingRow = typeof pending.$inferInsert;

/**
 * The final outcome of each payment attempt, as the payments-init message reports it. An
 * attempt is identified by (gateway, order_id): the unique key turns redeliveries and later
 * outcomes of the same attempt into updates of its one row, which is what the pending consumer
 * asks ("has this order already failed?").
 */
export const paymentsInitial = mysqlTable(
  'payments_initial',
  {
    id: bigint('id', { mode: 'number', unsigned: true }).autoincrement().primaryKey(),
    contributionTrackingId: bigint('contribution_tracking_id', { mode: 'number', unsigned: true }),
    gateway: varchar('gateway', { length: 255 }).notNull(),
    orderId: varchar('order_id', { length: 255 }).notNull(),
    gatewayTxnId: varchar('gateway_txn_id', { length: 255 }),
    validationAction: varchar('validation_action', { length: 16 }),
    paymentsFinalStatus: varchar('payments_final_status', { length: 16 }),
    paymentMethod: varchar('payment_method', { length: 16 }),
    paymentSubmethod: varchar('payment_submethod', { length: 32 }),
    country: varchar('country', { length: 2 }),
    amount: decimal('amount', { precision: 20, scale: 4 }),
    // The legacy column's name (fredge's payments_initial): the message calls it `currency`.
    currencyCode: varchar('currency_code', { length: 3 }),
    server: varchar('server', { length: 64 }),
    date: datetime('date', { mode: 'date' }).notNull(),
  },
  (t) => [
    unique('uniq_payments_initial_gateway_order_id').on(t.gateway, t.orderId),
    index('idx_payments_initial_contribution_tracking_id').on(t.contributionTrackingId),
    index('idx_payments_initial_date').on(t.date),
  ],
);

export type PaymentsInitialRow = typeof paymentsInitial.$inferSelect;
export type NewPaymentsInitialRow = typeof paymentsInitial.$inferInsert;

/**
 * Orders known to be settled (lib/pending/complete-order.ts): one row per (gateway, order id),
 * written before the order's pending rows are resolved. The pending consumer drops a later
 * pending message of such an order (a redelivery, or one that arrived after its completion), so
 * a settled order never comes back for the rectifier. Expired with the pending rows.
 */
export const pendingSettled = mysqlTable(
  'pending_settled',
  {
    id: bigint('id', { mode: 'number', unsigned: true }).autoincrement().primaryKey(),
    gateway: varchar('gateway', { length: 255 }).notNull(),
    orderId: varchar('order_id', { length: 255 }).notNull(),
    settledAt: datetime('settled_at', { mode: 'date' }).notNull(),
  },
  (t) => [unique('uniq_pending_settled_gateway_order_id').on(t.gateway, t.orderId), index('idx_pending_settled_settled_at').on(t.settledAt)],
);
