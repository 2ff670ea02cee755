/**
 * The pending database API: the only code that writes the `pending` table (the console reads it:
 * lib/console/pending-view.ts).
 *
 * Rows come from one queue (`pending`) and are worked on by single-responsibility jobs, each of
 * which finds the rows it is responsible for through one of these queries (docs/architecture.md §7, §6).
 */
import { and, asc, desc, eq, inArray, lt, sql, type SQL } from 'drizzle-orm';
import type { ExecuteValues } from 'mysql2';
import { bulkInsert, columnName, flatValues } from '../db/bulk-insert';
import { executePrepared, type Db } from '../db/client';
import { pending, type NewPendingRow } from '../db/schema';
import { withDatabase } from '../db/transaction';
import { messageHash } from '../content-hash';
import { normalisePendingMessage, type PendingMessage } from './normalise-message';
import { ordersCondition } from './payments-initial-store';

/** A stored pending payment: its row id, indexed columns and the whole (normalised) message. */
export interface PendingRecord {
  id: number;
  date: Date;
  gateway: string;
  gatewayAccount: string | null;
  orderId: string | null;
  gatewayTxnId: string | null;
  paymentMethod: string | null;
  isResolved: boolean;
  message: Record<string, unknown>;
}

/** What a job does with a row it is done with: delete it, or keep it marked as resolved. */
export type ResolveMode = 'delete' | 'mark-resolved';

export interface ExpireOptions {
  gateway?: string;
  mode: ResolveMode;
  /** Rows per statement; the caller loops. */
  batchSize: number;
}

/** Rows `fetchOldestOrders` reads per order it is asked for. */
const ROWS_READ_PER_ORDER = 4;

/** Bookkeeping keys a message may carry that are not part of the payment. */
const BOOKKEEPING_KEYS = ['pending_id'] as const;

function toRow(message: PendingMessage): NewPendingRow {
  const body: Record<string, unknown> = { ...message };
  for (const key of BOOKKEEPING_KEYS) delete body[key];
  return {
    date: new Date(message.date * 1000),
    gateway: message.gateway,
    gatewayAccount: message.gateway_account ?? null,
    orderId: message.order_id ?? null,
    gatewayTxnId: message.gateway_txn_id ?? null,
    paymentMethod: message.payment_method ?? null,
    isResolved: false,
    message: body,
    messageKey: pendingMessageKey(message),
  };
}

/** What `insertMany` writes: every column `toRow` fills. ON DUPLICATE KEY rather than IGNORE: only a
 * known message (its key) is skipped; every other refusal (a value too long for its column) still
 * fails the statement. */
const INSERT_MANY = bulkInsert(
  pending,
  ['date', 'gateway', 'gatewayAccount', 'orderId', 'gatewayTxnId', 'paymentMethod', 'isResolved', 'message', 'messageKey'],
  `ON DUPLICATE KEY UPDATE ${columnName(pending.id)} = ${columnName(pending.id)}`,
);

/**
 * The identity of a pending message, from its content and never from its delivery: the SHA-256
 * of the normalised message without source fields or bookkeeping. A redelivery (or a producer's
 * re-push) of a message has the same key and adds no row; a message that differs in any field of
 * the payment is a different message, stored beside the others of its order (docs/architecture.md §7.1).
 */
export function pendingMessageKey(message: PendingMessage): string {
  return messageHash(message, BOOKKEEPING_KEYS);
}

/** Row values made ahead (preparePendingRows) for the messages insertMany will get. */
const rowsAhead = new WeakMap<PendingMessage, unknown[]>();

function insertValues(message: PendingMessage): unknown[] {
  return rowsAhead.get(message) ?? INSERT_MANY.values([toRow(message)])[0]!;
}

/**
 * Makes the INSERT values (the key's hash, the message's JSON) of messages that `insertMany`
 * will store later, ahead of time: the consumer calls it for a batch leased ahead while the
 * batch before waits for the database (lib/consumer/run-batch-consumer.ts, prepareBatch).
 */
export function preparePendingRows(messages: readonly PendingMessage[]): void {
  for (const message of messages) {
    if (message.pending_id === undefined && !rowsAhead.has(message)) rowsAhead.set(message, INSERT_MANY.values([toRow(message)])[0]!);
  }
}

function pendingIdOf(message: PendingMessage): number | null {
  const value = message.pending_id;
  if (value === undefined) return null;
  const id = Number(value);
  return Number.isSafeInteger(id) && id > 0 ? id : null;
}

export class PendingStore {
  constructor(private readonly db: Db) {}

  /**
   * Stores one pending message: inserts it, or updates row `pending_id` when the message names
   * one (a job re-storing a row it changed). Validates and normalises first; a message lacking
   * what a row needs raises MalformedMessageError. Resolves with the row id; a message already
   * stored (the same key) adds no row and resolves with the existing row's id.
   */
  async store(input: unknown): Promise<number> {
    const message = normalisePendingMessage(input);
    const row = toRow(message);
    const id = pendingIdOf(message);
    // Safe to run again after a lock conflict: the update is idempotent, the insert happens once.
    return withDatabase('store pending row', async () => {
      if (id !== null) {
        const [result] = await this.db.update(pending).set(row).where(eq(pending.id, id));
        if (result.affectedRows > 0) return id;
        // The row was resolved and deleted meanwhile: store the message again rather than lose it.
      }
      // LAST_INSERT_ID(id) hands back the id of the row that already holds the message.
      const [result] = await this.db
        .insert(pending)
        .values(row)
        .onDuplicateKeyUpdate({ set: { id: sql`LAST_INSERT_ID(${pending.id})` } });
      return result.insertId;
    });
  }

  /**
   * Inserts many already-normalised messages in one statement (the consumer's fast path).
   * Messages carrying `pending_id` must go through `store` instead. A message already stored
   * (the same key, also twice in one batch) adds no row: redeliveries are absorbed here.
   */
  async insertMany(messages: PendingMessage[]): Promise<void> {
    if (messages.length === 0) return;
    // Drizzle's builder costs about as much as the INSERT itself at this size, and a text
    // statement of a whole batch is parsed value by value by the server: a prepared statement
    // (one per batch size and connection) sends the values in the binary protocol instead
    // (bench/pending.ts). Columns and value conversions still come from the schema.
    const values = flatValues(messages.map(insertValues)) as ExecuteValues;
    await withDatabase('insert pending rows', () => executePrepared(this.db, INSERT_MANY.prepared(messages.length), values));
  }

  /**
   * The row of a (gateway, order id). When several rows share the order id, the one whose
   * gateway transaction id equals `gatewayTxnIdHint` wins, then the most recent one.
   */
  async fetchByGatewayOrderId(gateway: string, orderId: string, gatewayTxnIdHint?: string): Promise<PendingRecord | null> {
    const order: SQL[] = [];
    if (gatewayTxnIdHint !== undefined) order.push(sql`(${pending.gatewayTxnId} <=> ${gatewayTxnIdHint}) DESC`);
    order.push(desc(pending.date), desc(pending.id));
    const rows = await withDatabase('read pending row', () =>
      this.db
        .select()
        .from(pending)
        .where(and(eq(pending.gateway, gateway), eq(pending.orderId, orderId)))
        .orderBy(...order)
        .limit(1),
    );
    return rows[0] ?? null;
  }

  /**
   * The oldest unresolved row (by `date`, not by insertion order) of each of the `count` oldest
   * orders of a gateway, oldest first, optionally restricted to some payment methods; a row
   * without an order id is an order of its own. Orphan rectification walks a gateway with it,
   * `count` orders at a time. Fewer orders come back when the oldest rows crowd into few orders.
   */
  async fetchOldestOrders(gateway: string, paymentMethods: string[], count: number): Promise<PendingRecord[]> {
    if (count <= 0) return [];
    const conditions = [eq(pending.isResolved, false), eq(pending.gateway, gateway)];
    if (paymentMethods.length > 0) conditions.push(inArray(pending.paymentMethod, paymentMethods));
    const rows = await withDatabase('fetch oldest pending rows', () =>
      this.db
        .select()
        .from(pending)
        .where(and(...conditions))
        .orderBy(asc(pending.date), asc(pending.id))
        // An order has one or two rows as a rule: a few rows per order wanted find them in one read.
        .limit(count * ROWS_READ_PER_ORDER),
    );
    const orders = new Map<string, PendingRecord>();
    for (const row of rows) {
      const order = row.orderId ?? `row:${row.id}`;
      if (!orders.has(order)) orders.set(order, row);
      if (orders.size === count) break;
    }
    return [...orders.values()];
  }

  /** The `limit` most recent rows of a gateway (for people looking at what is pending now). */
  async fetchNewest(gateway: string, limit: number): Promise<PendingRecord[]> {
    return withDatabase('read newest pending rows', () =>
      this.db
        .select()
        .from(pending)
        .where(eq(pending.gateway, gateway))
        .orderBy(desc(pending.date), desc(pending.id))
        .limit(limit),
    );
  }

  /** Deletes every row of a (gateway, order id): the outcome of the order is known. Resolves with how many went. */
  async deleteOrder(gateway: string, orderId: string): Promise<number> {
    return this.deleteOrders([{ gateway, orderId }]);
  }

  /** Deletes every row of each (gateway, order id), in one statement. Resolves with how many rows went. */
  async deleteOrders(orders: ReadonlyArray<{ gateway: string; orderId: string }>): Promise<number> {
    if (orders.length === 0) return 0;
    const [result] = await withDatabase('delete pending rows', () => this.db.delete(pending).where(ordersCondition(pending.gateway, pending.orderId, orders)));
    return result.affectedRows;
  }

  /**
   * Every row of a (gateway, order id), newest first (by `date`, then id): the order as the jobs
   * see it. The first unresolved row speaks for the order (its message is the newest attempt).
   */
  async fetchOrder(gateway: string, orderId: string): Promise<PendingRecord[]> {
    return this.db
      .select()
      .from(pending)
      .where(and(eq(pending.gateway, gateway), eq(pending.orderId, orderId)))
      .orderBy(desc(pending.date), desc(pending.id));
  }

  /**
   * Finishes with a whole order: every row of (gateway, order id) deleted, or the unresolved ones
   * marked resolved, in one statement. Resolves with how many rows changed (0 when the order is
   * unknown or already settled: settling is idempotent).
   */
  async resolveOrder(gateway: string, orderId: string, mode: ResolveMode): Promise<number> {
    return this.resolveOrders([{ gateway, orderId }], mode);
  }

  /** `resolveOrder` for many orders in one statement (a batch's completions). */
  async resolveOrders(orders: ReadonlyArray<{ gateway: string; orderId: string }>, mode: ResolveMode): Promise<number> {
    if (orders.length === 0) return 0;
    const ofOrders = ordersCondition(pending.gateway, pending.orderId, orders);
    if (mode === 'delete') {
      const [result] = await this.db.delete(pending).where(ofOrders);
      return result.affectedRows;
    }
    const [result] = await this.db.update(pending).set({ isResolved: true }).where(and(ofOrders, eq(pending.isResolved, false)));
    return result.affectedRows;
  }

  /** Finishes with one row after a job's attempt on it: deleted, or marked resolved. */
  async resolveRow(id: number, mode: ResolveMode): Promise<void> {
    await withDatabase('resolve pending row', () =>
      mode === 'delete' ? this.db.delete(pending).where(eq(pending.id, id)) : this.db.update(pending).set({ isResolved: true }).where(eq(pending.id, id)),
    );
  }

  /**
   * Deletes, or marks resolved, up to `batchSize` rows dated before `before` (optionally of one
   * gateway), oldest first. Resolves with how many rows changed; the caller loops until fewer
   * than `batchSize` did, so that one statement never locks the whole table.
   */
  async expireOlderThan(before: Date, { gateway, mode, batchSize }: ExpireOptions): Promise<number> {
    const conditions = [lt(pending.date, before)];
    if (gateway !== undefined) conditions.push(eq(pending.gateway, gateway));
    if (mode === 'mark-resolved') conditions.push(eq(pending.isResolved, false));
    const [result] = await withDatabase('expire pending rows', () =>
      mode === 'delete'
        ? this.db.delete(pending).where(and(...conditions)).orderBy(asc(pending.date)).limit(batchSize)
        : this.db.update(pending).set({ isResolved: true }).where(and(...conditions)).orderBy(asc(pending.date)).limit(batchSize),
    );
    return result.affectedRows;
  }
}
