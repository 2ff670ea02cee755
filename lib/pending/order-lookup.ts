/**
 * What the pending consumer asks after storing a batch: which of its orders already failed (and
 * are not under review) in `payments_initial`, and which are settled in `pending_settled`
 * (docs/architecture.md §7.1). One statement for both, run as a server-side prepared statement:
 * one round trip per batch.
 *
 * The batch's orders travel as one JSON parameter, read by JSON_TABLE (MariaDB 10.6 or later)
 * and joined on each table's unique (gateway, order_id) key. The statement's text is the same for
 * every batch, so each connection prepares it once; and the server plans one join instead of a
 * range list of every order id per gateway, whose planning took about half of the
 * lookup's time (docs/architecture.md §7.4: 3.0–3.8 ms against 1.8–1.9 ms for a batch of 500).
 */
import { getTableName } from 'drizzle-orm';
import { escapeId, type RowDataPacket } from 'mysql2';
import { columnName } from '../db/bulk-insert';
import { DATABASE_COLLATION, queryPrepared, type Db } from '../db/client';
import { paymentsInitial, pendingSettled } from '../db/schema';
import { withDatabase } from '../db/transaction';
import { orderKey } from './payments-initial-store';

/** The orders of a batch that failed and that are settled, as `orderKey` keys. */
export interface OrderOutcomes {
  failed: Set<string>;
  settled: Set<string>;
}

type OutcomeRow = RowDataPacket & { settled: number; gateway: string; order_id: string };

/**
 * `[[gateway, order id], …]` as rows. Their columns are declared in the tables' collation: the
 * server would otherwise give them the database's default, and refuse to compare the two where
 * they differ.
 */
const ORDERS =
  `WITH asked AS (SELECT * FROM JSON_TABLE(?, '$[*]' COLUMNS (` +
  `gateway ${paymentsInitial.gateway.getSQLType()} COLLATE ${DATABASE_COLLATION} PATH '$[0]', ` +
  `order_id ${paymentsInitial.orderId.getSQLType()} COLLATE ${DATABASE_COLLATION} PATH '$[1]')) AS asked_json)`;

function joinedOn(table: typeof paymentsInitial | typeof pendingSettled): string {
  return `asked JOIN ${escapeId(getTableName(table))} AS t ON t.${columnName(table.gateway)} = asked.gateway AND t.${columnName(table.orderId)} = asked.order_id`;
}

const LOOKUP =
  `${ORDERS} SELECT 0 AS settled, t.${columnName(paymentsInitial.gateway)} AS gateway, t.${columnName(paymentsInitial.orderId)} AS order_id FROM ${joinedOn(paymentsInitial)}` +
  ` WHERE t.${columnName(paymentsInitial.paymentsFinalStatus)} = 'failed' AND NOT (t.${columnName(paymentsInitial.validationAction)} <=> 'review')` +
  ` UNION ALL SELECT 1, t.${columnName(pendingSettled.gateway)}, t.${columnName(pendingSettled.orderId)} FROM ${joinedOn(pendingSettled)}`;

export class OrderOutcomesLookup {
  constructor(private readonly db: Db) {}

  /**
   * Of these (gateway, order id) pairs, those whose attempt failed and is not under review
   * (`isFailedNotUnderReview` in SQL) and those settled (as SettledOrdersStore.settledOrders).
   */
  async lookUp(orders: Array<{ gateway: string; orderId: string }>): Promise<OrderOutcomes> {
    const outcomes: OrderOutcomes = { failed: new Set(), settled: new Set() };
    if (orders.length === 0) return outcomes;
    const asked = JSON.stringify(orders.map(({ gateway, orderId }) => [gateway, orderId]));
    const rows = await withDatabase('look up failed and settled orders', () => queryPrepared<OutcomeRow>(this.db, LOOKUP, [asked]));
    for (const row of rows) (Number(row.settled) === 1 ? outcomes.settled : outcomes.failed).add(orderKey(row.gateway, row.order_id));
    return outcomes;
  }
}
