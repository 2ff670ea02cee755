/**
 * One MariaDB/MySQL connection pool and its Drizzle handle per process.
 *
 * Every session runs in UTC so that DATETIME columns hold UTC whatever the server's zone is.
 */
import path from 'node:path';
import { sql } from 'drizzle-orm';
import { drizzle, type MySql2Database } from 'drizzle-orm/mysql2';
import { migrate } from 'drizzle-orm/mysql2/migrator';
import mysql, { type ExecuteValues } from 'mysql2/promise';
import * as schema from './schema';

export type Db = MySql2Database<typeof schema>;

export interface Database {
  db: Db;
  pool: mysql.Pool;
  close(): Promise<void>;
}

export interface DatabaseOptions {
  /** Pool size; a Lambda needs few, a loader or benchmark more. */
  connectionLimit?: number;
}

/** Opens a pool on `url` (mysql://user:pass@host:port/db); queries fail fast when it is down. */
export function openDatabase(url: string, { connectionLimit = 5 }: DatabaseOptions = {}): Database {
  const pool = mysql.createPool({
    uri: url,
    connectionLimit,
    timezone: 'Z',
    dateStrings: false,
    supportBigNumbers: true,
    bigNumberStrings: false,
    connectTimeout: 5000,
    multipleStatements: false,
  });
  pool.on('connection', (connection) => {
    connection.query("SET time_zone = '+00:00'");
  });
  return { db: drizzleOn(pool), pool, close: () => pool.end() };
}

/** The driver under each Drizzle handle made here, for what Drizzle does not offer (prepared multi-row INSERTs). */
const drivers = new WeakMap<Db, mysql.Pool | mysql.PoolConnection>();

/** The Drizzle handle over a pool, or over one connection (a transaction's, see transaction.ts). */
export function drizzleOn(client: mysql.Pool | mysql.PoolConnection): Db {
  const db = drizzle(client, { schema, mode: 'default' });
  drivers.set(db, client);
  return db;
}

/**
 * Whether the database under `db` answers a trivial query now; never rejects. Asked after a
 * failure, it tells an outage from a statement that broke the connection (lib/consumer/settle.ts,
 * failureWasOutage).
 */
export async function databaseAnswers(db: Db): Promise<boolean> {
  try {
    await db.execute(sql`SELECT 1`);
    return true;
  } catch {
    return false;
  }
}

/**
 * Runs a server-side prepared statement on the pool or connection under `db` (a handle made by
 * `drizzleOn`): Drizzle sends every query as text, which the server parses value by value; a
 * multi-row INSERT prepared once per connection and row count does not (lib/db/bulk-insert.ts).
 */
export async function executePrepared(db: Db, statement: string, values: ExecuteValues): Promise<void> {
  await queryPrepared(db, statement, values);
}

/** `executePrepared` for a SELECT: resolves with its rows. */
export async function queryPrepared<Row extends mysql.RowDataPacket>(db: Db, statement: string, values: ExecuteValues): Promise<Row[]> {
  const driver = drivers.get(db);
  if (!driver) throw new Error('a prepared statement needs a database handle made by drizzleOn');
  const [rows] = await driver.execute<Row[]>(statement, values);
  return rows;
}

/**
 * The collation of the database `migrateDatabase` creates, which its tables inherit (the schema
 * names none). A database an administrator created beforehand keeps its own, so code that must
 * match a table's collation reads the column's (lib/pending/order-lookup.ts), not this.
 */
export const DATABASE_COLLATION = 'utf8mb4_unicode_ci';

/** Where the generated SQL migrations live, whatever the caller's working directory. */
export const MIGRATIONS_FOLDER = path.resolve(__dirname, '../../drizzle');

/**
 * Creates the database named in `url` when it does not exist, then applies every pending
 * migration in order. Safe to run repeatedly and from several processes one after another.
 */
export async function migrateDatabase(url: string): Promise<void> {
  const target = new URL(url);
  const name = decodeURIComponent(target.pathname.replace(/^\//, ''));
  if (!/^[A-Za-z0-9_]+$/.test(name)) throw new Error('DATABASE_URL must name a database made of letters, digits and _');
  const server = new URL(url);
  server.pathname = '/';
  const admin = await mysql.createConnection({ uri: server.toString() });
  try {
    await admin.query(`CREATE DATABASE IF NOT EXISTS \`${name}\` CHARACTER SET utf8mb4 COLLATE ${DATABASE_COLLATION}`);
  } finally {
    await admin.end();
  }
  const { db, close } = openDatabase(url, { connectionLimit: 1 });
  try {
    await migrate(db, { migrationsFolder: MIGRATIONS_FOLDER });
  } finally {
    await close();
  }
}
