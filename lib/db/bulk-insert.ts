/**
 * Multi-row INSERTs for the few hot paths where a benchmark showed Drizzle's builder costing as
 * much as the statement itself (see the callers). The statement is escaped by the driver, but
 * table, columns and value conversions still come from the Drizzle schema, so a column is
 * declared once.
 */
import { getTableColumns, getTableName } from 'drizzle-orm';
import type { MySqlTable } from 'drizzle-orm/mysql-core';
import { escapeId } from 'mysql2';

type Columns<T extends MySqlTable> = T['_']['columns'];
type InsertKey<T extends MySqlTable> = keyof T['$inferInsert'] & keyof Columns<T> & string;

export interface BulkInsert<T extends MySqlTable, K extends InsertKey<T>> {
  /** `INSERT INTO t (a, b, …) VALUES ?` plus the suffix, for the driver's `query(statement, [rows])`. */
  statement: string;
  /** Rows as arrays in the statement's column order, each value converted as Drizzle would. */
  values(rows: Array<Pick<T['$inferInsert'], K>>): unknown[][];
  /**
   * The same INSERT as a server-side prepared statement of `rowCount` rows (`(?, …), (?, …)`), for
   * the driver's `execute(statement, flatValues(rows))`: the server parses it once per connection
   * and row count instead of parsing every value of every batch again.
   */
  prepared(rowCount: number): string;
}

/**
 * The values of `rows`, row after row, in one array: the parameters of a `prepared` statement.
 * A plain loop, because `flat()` and `flatMap()` took 0.3 ms for a batch of 500 rows of 9 values
 * against 0.03 ms, on the path that waits for that batch (bench/pending.ts).
 */
export function flatValues(rows: ReadonlyArray<readonly unknown[]>): unknown[] {
  const values: unknown[] = [];
  for (const row of rows) for (const value of row) values.push(value);
  return values;
}

/** The backtick-quoted name of a schema column, for hand-written clauses (ON DUPLICATE KEY …). */
export function columnName(column: { name: string }): string {
  return escapeId(column.name);
}

/**
 * A multi-row INSERT into `table` of the columns `keys` (schema keys, not SQL names), followed
 * by `suffix` (e.g. an ON DUPLICATE KEY UPDATE clause written with `columnName`).
 */
export function bulkInsert<T extends MySqlTable, K extends InsertKey<T>>(table: T, keys: readonly K[], suffix = ''): BulkInsert<T, K> {
  const columns = getTableColumns(table) as Record<string, { name: string; mapToDriverValue(value: unknown): unknown }>;
  const ordered = keys.map((key) => {
    const column = columns[key];
    if (!column) throw new Error(`${getTableName(table)} has no column ${key}`);
    return [key, column] as const;
  });
  const head = `INSERT INTO ${escapeId(getTableName(table))} (${ordered.map(([, column]) => columnName(column)).join(', ')}) VALUES`;
  const tail = suffix ? ` ${suffix}` : '';
  const placeholders = `(${ordered.map(() => '?').join(', ')})`;
  return {
    statement: `${head} ?${tail}`,
    prepared: (rowCount) => `${head} ${Array.from({ length: rowCount }, () => placeholders).join(', ')}${tail}`,
    values: (rows) =>
      rows.map((row) =>
        ordered.map(([key, column]) => {
          const value = (row as Record<string, unknown>)[key];
          return value === null || value === undefined ? null : column.mapToDriverValue(value);
        }),
      ),
  };
}
