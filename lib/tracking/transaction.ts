/**
 * One READ COMMITTED transaction on a pooled connection, retried when MariaDB picks it as a
 * deadlock victim or a concurrent writer won a unique key race: both resolve on a second try.
 */
import type { Pool, PoolConnection } from 'mysql2/promise';
import { InfrastructureError } from '../errors';

const RETRYABLE_ERRNOS = new Set([1213 /* deadlock */, 1205 /* lock wait timeout */, 1062 /* duplicate entry */]);
const ATTEMPTS = 4;

/** Why the database could not take a batch; the consumer releases its messages. */
export class TrackingDatabaseError extends InfrastructureError {}

/** Runs `work` in a transaction and commits; any failure rolls back and is rethrown as TrackingDatabaseError. */
export async function inTransaction<T>(pool: Pool, work: (conn: PoolConnection) => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    let conn: PoolConnection | undefined;
    try {
      conn = await pool.getConnection();
      await conn.query('SET TRANSACTION ISOLATION LEVEL READ COMMITTED');
      await conn.beginTransaction();
      const result = await work(conn);
      await conn.commit();
      return result;
    } catch (error) {
      if (conn) await conn.rollback().catch(() => undefined);
      const errno = (error as { errno?: number }).errno;
      if (errno !== undefined && RETRYABLE_ERRNOS.has(errno) && attempt < ATTEMPTS) continue;
      if (error instanceof InfrastructureError) throw error;
      // The error text of mysql2 may quote row values; keep only its code.
      const code = (error as { code?: string }).code ?? (error as Error).name;
      throw new TrackingDatabaseError(`contribution tracking transaction failed: ${code}`, { cause: error });
    } finally {
      conn?.release();
    }
  }
}
