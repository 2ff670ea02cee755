/**
 * Integration tests get a database of their own: created fresh, migrated with the project's
 * migrations, dropped afterwards. Databases left by a crashed earlier run are dropped too.
 */
import { randomBytes } from 'node:crypto';
import mysql from 'mysql2/promise';
import { migrateDatabase, openDatabase, type Database } from '../../lib/db/client';

const SERVER_URL = process.env.TEST_DATABASE_SERVER_URL ?? 'mysql://root@127.0.0.1:3306/';
const PREFIX = 'itest_';
const STALE_AFTER_MS = 6 * 60 * 60 * 1000;

export interface TestDatabase extends Database {
  url: string;
  name: string;
  /** Closes the pool and drops the database. */
  drop(): Promise<void>;
}

export interface TestDatabaseOptions {
  /**
   * Creates the database first with this clause (e.g. `CHARACTER SET utf8mb4 COLLATE
   * utf8mb4_general_ci`), as a deployment's administrator would before the migrations run.
   */
  createdWith?: string;
}

/** Creates and migrates a uniquely named database; pass the result's `url` to the code under test. */
export async function createTestDatabase(options: TestDatabaseOptions = {}): Promise<TestDatabase> {
  await dropStaleDatabases();
  const name = `${PREFIX}${Date.now()}_${randomBytes(3).toString('hex')}`;
  const url = new URL(SERVER_URL);
  url.pathname = `/${name}`;
  if (options.createdWith) await withServer((admin) => admin.query(`CREATE DATABASE \`${name}\` ${options.createdWith}`));
  await migrateDatabase(url.toString());
  const database = openDatabase(url.toString(), { connectionLimit: 10 });
  return {
    ...database,
    url: url.toString(),
    name,
    async drop() {
      await database.close();
      await withServer((admin) => admin.query(`DROP DATABASE IF EXISTS \`${name}\``));
    },
  };
}

/** A database handle of one connection, and the counters of that connection's session. */
export interface CountedDatabase extends Database {
  /** SHOW SESSION STATUS values of `names` (e.g. Com_insert), by name. */
  counters(names: readonly string[]): Promise<Record<string, number>>;
}

/**
 * Opens `url` with a pool of one connection: its session's counters then count every statement
 * the code under test sent through this handle (one multi-row INSERT per batch, say).
 */
export function openCountedDatabase(url: string): CountedDatabase {
  const database = openDatabase(url, { connectionLimit: 1 });
  return {
    ...database,
    async counters(names) {
      const [rows] = await database.pool.query<mysql.RowDataPacket[]>('SHOW SESSION STATUS WHERE Variable_name IN (?)', [names]);
      const values = Object.fromEntries(rows.map((row) => [row.Variable_name as string, Number(row.Value)]));
      return Object.fromEntries(names.map((name) => [name, values[name] ?? 0]));
    },
  };
}

async function withServer<T>(fn: (admin: mysql.Connection) => Promise<T>): Promise<T> {
  const admin = await mysql.createConnection({ uri: SERVER_URL });
  try {
    return await fn(admin);
  } finally {
    await admin.end();
  }
}

async function dropStaleDatabases(): Promise<void> {
  await withServer(async (admin) => {
    const [rows] = await admin.query<mysql.RowDataPacket[]>(`SHOW DATABASES LIKE '${PREFIX}%'`);
    for (const row of rows) {
      const name = String(Object.values(row)[0]);
      const created = Number(name.slice(PREFIX.length).split('_')[0]);
      if (Number.isFinite(created) && Date.now() - created > STALE_AFTER_MS) {
        await admin.query(`DROP DATABASE IF EXISTS \`${name}\``);
      }
    }
  });
}
