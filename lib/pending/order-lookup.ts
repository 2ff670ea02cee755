/**
 * What the pending consumer asks after storing a batch: which of its orders already ended unpaid
 * with nothing left to take them in `payments_initial` (pendingRowsObsolete), and which are
 * settled in `pending_settled` (docs/architecture.md §7.1). One statement for both, run as a
 * server-side prepared statement: one round trip per batch.
 *
 * The batch's orders travel as one JSON parameter, read by JSON_TABLE (MariaDB 10.6 or later)
 * and joined on each table's unique (gateway, order_id) key. The statement's text is the same for
 * every batch, so each connection prepares it once; and the server plans one join instead of a
 * range list of every order id per gateway, whose planning took about half of the
 * lookup's time (docs/architecture.md §7.4: 3.0–3.8 ms against 1.8–1.9 ms for a batch of 500).
 *
 * JSON_TABLE's columns take the session's character set and collation unless they declare
 * theirs, and the server refuses to compare two columns of different collations. So they declare
 * the joined columns' own, read once from information_schema: the tables may be in a database an
 * administrator created with another default than migrateDatabase's (a test covers both).
 */
import { getTableName } from 'drizzle-orm';
import { escape, escapeId, type RowDataPacket } from 'mysql2';
import { columnName } from '../db/bulk-insert';
import { queryPrepared, type Db } from '../db/client';
import { paymentsInitial, pendingSettled } from '../db/schema';
import { withDatabase } from '../db/transaction';
import { FAILED_STATUSES, ORDER_REUSED_GATEWAYS, orderKey, REJECT_LEFT_OPEN_GATEWAYS } from './payments-initial-store';

/** The orders of a batch that failed and that are settled, as `orderKey` keys. */
export interface OrderOutcomes {
  failed: Set<string>;
  settled: Set<string>;
}

type OutcomeRow = RowDataPacket & { settled: number; gateway: string; order_id: string };
type ColumnRow = RowDataPacket & { table_name: string; column_name: string; charset: string | null; collation: string | null };
type Table = typeof paymentsInitial | typeof pendingSettled;

const TABLES: ReadonlyArray<{ table: Table; alias: string }> = [
  { table: paymentsInitial, alias: 'p' },
  { table: pendingSettled, alias: 's' },
];
/** A character set or collation name as the server reports it, before it goes into a statement. */
const NAME = /^[A-Za-z0-9_]+$/;

/** The joined columns' character set and collation, by table and column name. */
async function joinedColumnTypes(db: Db): Promise<Map<string, string>> {
  const tables = TABLES.map(({ table }) => getTableName(table));
  const columns = [...new Set(TABLES.flatMap(({ table }) => [table.gateway.name, table.orderId.name]))];
  const rows = await queryPrepared<ColumnRow>(
    db,
    'SELECT TABLE_NAME AS table_name, COLUMN_NAME AS column_name, CHARACTER_SET_NAME AS charset, COLLATION_NAME AS collation FROM information_schema.COLUMNS' +
      ` WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME IN (${tables.map(() => '?').join(', ')}) AND COLUMN_NAME IN (${columns.map(() => '?').join(', ')})`,
    [...tables, ...columns],
  );
  const types = new Map<string, string>();
  for (const row of rows) {
    if (!row.charset || !row.collation || !NAME.test(row.charset) || !NAME.test(row.collation)) continue;
    types.set(`${row.table_name}.${row.column_name}`, `CHARACTER SET ${row.charset} COLLATE ${row.collation}`);
  }
  return types;
}

/** pendingRowsObsolete as a condition on the payments_initial row `alias`, from the same lists. */
function obsoleteInSql(alias: string): string {
  const list = (values: readonly string[]) => values.map((value) => escape(value)).join(', ');
  const column = (c: Parameters<typeof columnName>[0]) => `${alias}.${columnName(c)}`;
  const [status, action, gateway] = [column(paymentsInitial.paymentsFinalStatus), column(paymentsInitial.validationAction), column(paymentsInitial.gateway)];
  return (
    `${status} IN (${list(FAILED_STATUSES)}) AND NOT (${action} <=> 'review')` +
    ` AND NOT (${action} <=> 'reject' AND ${gateway} IN (${list(REJECT_LEFT_OPEN_GATEWAYS)})) AND ${gateway} NOT IN (${list(ORDER_REUSED_GATEWAYS)})`
  );
}

/** The lookup statement, its JSON_TABLE columns declared as the columns they are compared with. */
function lookupStatement(types: Map<string, string>): string {
  const declared = (table: Table, column: Table['gateway'] | Table['orderId'], path: string, as: string) => {
    const type = types.get(`${getTableName(table)}.${column.name}`);
    if (!type) throw new Error(`order outcome lookup: no character set and collation found for ${getTableName(table)}.${column.name} (is the database migrated?)`);
    return `${as} ${column.getSQLType()} ${type} PATH '${path}'`;
  };
  // `[[gateway, order id], …]` as rows, once per joined table.
  const columns = TABLES.flatMap(({ table, alias }) => [declared(table, table.gateway, '$[0]', `${alias}_gateway`), declared(table, table.orderId, '$[1]', `${alias}_order_id`)]);
  const orders = `WITH asked AS (SELECT * FROM JSON_TABLE(?, '$[*]' COLUMNS (${columns.join(', ')})) AS asked_json)`;
  const joinedOn = (table: Table, alias: string) =>
    `asked JOIN ${escapeId(getTableName(table))} AS t ON t.${columnName(table.gateway)} = asked.${alias}_gateway AND t.${columnName(table.orderId)} = asked.${alias}_order_id`;
  return (
    `${orders} SELECT 0 AS settled, t.${columnName(paymentsInitial.gateway)} AS gateway, t.${columnName(paymentsInitial.orderId)} AS order_id FROM ${joinedOn(paymentsInitial, 'p')}` +
    ` WHERE ${obsoleteInSql('t')}` +
    ` UNION ALL SELECT 1, t.${columnName(pendingSettled.gateway)}, t.${columnName(pendingSettled.orderId)} FROM ${joinedOn(pendingSettled, 's')}`
  );
}

export class OrderOutcomesLookup {
  /** The statement, built at the first lookup; forgotten when building it failed. */
  private statement: Promise<string> | undefined;

  constructor(private readonly db: Db) {}

  /**
   * Of these (gateway, order id) pairs, those whose pending rows are obsolete
   * (`pendingRowsObsolete` in SQL) and those settled (as SettledOrdersStore.settledOrders).
   */
  async lookUp(orders: Array<{ gateway: string; orderId: string }>): Promise<OrderOutcomes> {
    const outcomes: OrderOutcomes = { failed: new Set(), settled: new Set() };
    if (orders.length === 0) return outcomes;
    const asked = JSON.stringify(orders.map(({ gateway, orderId }) => [gateway, orderId]));
    const rows = await withDatabase('look up failed and settled orders', async () => queryPrepared<OutcomeRow>(this.db, await this.lookupStatement(), [asked]));
    for (const row of rows) (Number(row.settled) === 1 ? outcomes.settled : outcomes.failed).add(orderKey(row.gateway, row.order_id));
    return outcomes;
  }

  private lookupStatement(): Promise<string> {
    if (!this.statement) {
      this.statement = joinedColumnTypes(this.db).then(lookupStatement);
      this.statement.catch(() => {
        this.statement = undefined;
      });
    }
    return this.statement;
  }
}
