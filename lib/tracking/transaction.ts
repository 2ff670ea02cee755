/**
 * The summary's writer transaction: one transaction on a pooled connection, begun only once a
 * named lock (GET_LOCK) that every writer of this database's summary takes is held. Batches of
 * concurrent consumers (and the rebuild) therefore apply one after another, and each one's
 * snapshot (taken at its first read, after the previous writer committed) holds every earlier
 * batch's events. Retried when MariaDB reports a deadlock or a unique key race.
 */
import type { Pool, PoolConnection, RowDataPacket } from 'mysql2/promise';
import { InfrastructureError } from '../errors';

const RETRYABLE_ERRNOS = new Set([1213 /* deadlock */, 1205 /* lock wait timeout */, 1062 /* duplicate entry */]);
const ATTEMPTS = 4;
/** How long a writer waits for the previous one before giving up (the batch is released). */
const LOCK_TIMEOUT_SECONDS = 30;
/** Server-wide lock names are scoped to the database, so separate databases do not contend. */
const LOCK_NAME = "CONCAT(DATABASE(), '.contribution_tracking_writer')";

/** Why the database could not take a batch; the consumer releases its messages. */
export class TrackingDatabaseError extends InfrastructureError {}

/** Runs `work` in a transaction under the writer lock and commits; failures roll back and rethrow as TrackingDatabaseError. */
export async function inWriterTransaction<T>(pool: Pool, work: (conn: PoolConnection) => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    let conn: PoolConnection | undefined;
    let locked = false;
    try {
      conn = await pool.getConnection();
      const [rows] = await conn.query<RowDataPacket[]>(`SELECT GET_LOCK(${LOCK_NAME}, ?) AS got`, [LOCK_TIMEOUT_SECONDS]);
      if (Number(rows[0]?.got) !== 1) throw new TrackingDatabaseError('timed out waiting for the contribution tracking writer lock');
      locked = true;
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
      if (conn && locked) await conn.query(`DO RELEASE_LOCK(${LOCK_NAME})`).catch(() => conn?.destroy());
      conn?.release();
    }
  }
}
