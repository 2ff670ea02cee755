/**
 * The one way this project talks to MariaDB when it matters what a failure means: a transaction
 * (`inTransaction`) or a single autocommit statement (`withDatabase`), both under one retry
 * policy.
 *
 * - A deadlock (1213) or lock wait timeout (1205) is retried: the server rolled the work back,
 *   and a second try after a short, jittered pause usually wins. Bounded by
 *   LOCK_CONFLICT_ATTEMPTS; then DatabaseContentionError.
 * - A connection failure becomes DatabaseUnavailableError at once: retrying inside one run
 *   would only hold the messages longer.
 * - A statement the server refuses becomes DatabaseRejectedError, never retried.
 * - Errors of this project (BufferError) and bugs (errors that did not come from the database)
 *   pass through unchanged.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { Pool, PoolConnection, RowDataPacket } from 'mysql2/promise';
import { BufferError, toError } from '../errors';
import { log as rootLog } from '../log';
import { drizzleOn, type Db } from './client';
import {
  classifyDatabaseError,
  databaseErrorCode,
  DatabaseContentionError,
  DatabaseRejectedError,
  DatabaseUnavailableError,
  type DatabaseFailure,
} from './errors';

/** Attempts of a unit of work that keeps losing lock races, the first included. */
export const LOCK_CONFLICT_ATTEMPTS = 5;
/**
 * The pause before attempt n + 1 is random in [0, min(BACKOFF_MAX_MS, BACKOFF_BASE_MS · 2^(n−1))):
 * transactions that deadlocked each other do not meet again in step.
 */
const BACKOFF_BASE_MS = 25;
const BACKOFF_MAX_MS = 1000;

/** An open transaction: its connection, and a Drizzle handle whose queries run on it. */
export interface Transaction {
  db: Db;
  conn: PoolConnection;
}

export interface TransactionOptions {
  /** For this transaction only; the server's default (REPEATABLE READ) otherwise. */
  isolation?: 'READ COMMITTED' | 'REPEATABLE READ';
  /**
   * Named locks (GET_LOCK, scoped to the current database) taken in the given order before BEGIN
   * and released after COMMIT. Transactions that take a same lock run one after another, and each
   * one's snapshot holds every earlier one's commits. Callers that take several give them in one
   * global order (ascending, say), so that two of them never wait for each other. Waiting longer
   * than `timeoutSeconds` for one gives DatabaseContentionError without a retry: the wait was the
   * retry.
   */
  locks?: { names: readonly string[]; timeoutSeconds: number };
}

const log = rootLog.child({ component: 'db' });
const insideTransaction = new AsyncLocalStorage<true>();

/**
 * Runs `work` in one transaction on a pooled connection of its own and commits it. On a lock
 * conflict the whole transaction is rolled back and `work` runs again from the start, so it must
 * not have effects outside the database (or only idempotent ones). Rejects as the module comment
 * says; nothing of a rejected transaction is committed.
 */
export async function inTransaction<T>(pool: Pool, what: string, work: (tx: Transaction) => Promise<T>, options: TransactionOptions = {}): Promise<T> {
  return underRetryPolicy(what, async () => {
    const conn = await pool.getConnection();
    const held: string[] = [];
    try {
      for (const name of options.locks?.names ?? []) {
        const [rows] = await conn.query<RowDataPacket[]>("SELECT GET_LOCK(CONCAT(DATABASE(), '.', ?), ?) AS got", [name, options.locks!.timeoutSeconds]);
        if (Number(rows[0]?.got) !== 1) throw new DatabaseContentionError(`${what}: timed out waiting for the ${name} lock`);
        held.push(name);
      }
      if (options.isolation) await conn.query(`SET TRANSACTION ISOLATION LEVEL ${options.isolation}`);
      await conn.beginTransaction();
      try {
        const db = drizzleOn(conn);
        const result = await insideTransaction.run(true, () => work({ db, conn }));
        await conn.commit();
        return result;
      } catch (error) {
        await conn.rollback().catch(() => undefined);
        throw error;
      }
    } finally {
      // A connection whose lock could not be released is destroyed: the server releases it then.
      for (const name of held.reverse()) await conn.query("DO RELEASE_LOCK(CONCAT(DATABASE(), '.', ?))", [name]).catch(() => conn.destroy());
      conn.release();
    }
  });
}

/**
 * Runs one database operation outside a transaction under the same policy: a single statement
 * in autocommit, or steps that are safe to run again. Inside `inTransaction` it adds nothing,
 * because retrying one statement of a transaction the server has rolled back would commit the
 * rest of it piecemeal; the enclosing transaction decides.
 */
export async function withDatabase<T>(what: string, operation: () => Promise<T>): Promise<T> {
  if (insideTransaction.getStore()) return operation();
  return underRetryPolicy(what, operation);
}

async function underRetryPolicy<T>(what: string, run: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await run();
    } catch (error) {
      if (error instanceof BufferError) throw error;
      const failure = classifyDatabaseError(error);
      if (failure === 'lock-conflict' && attempt < LOCK_CONFLICT_ATTEMPTS) {
        const delayMs = Math.random() * Math.min(BACKOFF_MAX_MS, BACKOFF_BASE_MS * 2 ** (attempt - 1));
        log.debug({ what, code: databaseErrorCode(error), attempt, delayMs: Math.round(delayMs) }, 'database lock conflict: retrying');
        await new Promise((resolve) => setTimeout(resolve, delayMs));
        continue;
      }
      throw typedError(what, failure, error, attempt);
    }
  }
}

function typedError(what: string, failure: DatabaseFailure, error: unknown, attempts: number): Error {
  // The driver's message can quote the SQL and its values (personal data): only the code is kept.
  const code = databaseErrorCode(error);
  const suffix = code ? ` (${code})` : '';
  switch (failure) {
    case 'lock-conflict':
      return new DatabaseContentionError(`${what}: lock conflict on each of ${attempts} attempts${suffix}`, { cause: error });
    case 'unavailable':
      return new DatabaseUnavailableError(`${what}: database unavailable${suffix}`, { cause: error });
    case 'rejected':
      return new DatabaseRejectedError(`${what}: the database refused the statement${suffix}`, code, { cause: error });
    case 'not-database':
      return toError(error);
  }
}
