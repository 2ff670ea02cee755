/**
 * Tells a database that is down from a row the database refused. The first must stop a run
 * with the message left in its queue (InfrastructureError); the second is the message's fault.
 * Shared by every capability that writes MariaDB.
 */
import { InfrastructureError, toError } from '../errors';

/** The database could not be reached or dropped the connection. */
export class DatabaseUnavailableError extends InfrastructureError {}

/**
 * True for failures of the connection rather than of a statement: mysql2 marks those `fatal`,
 * network errors carry no SQL state, and lock timeouts or deadlocks are transient server
 * conditions, not faults of the row.
 */
export function isConnectionFailure(error: unknown): boolean {
  const e = error as { fatal?: unknown; sqlState?: unknown; code?: unknown; cause?: unknown };
  if (e === null || typeof e !== 'object') return false;
  if (e.fatal === true) return true;
  if (e.code === 'ER_LOCK_DEADLOCK' || e.code === 'ER_LOCK_WAIT_TIMEOUT') return true;
  if (typeof e.code === 'string' && /^(E[A-Z]+|PROTOCOL_.*|POOL_CLOSED)$/.test(e.code) && e.sqlState === undefined) return true;
  // Drizzle wraps driver errors in its own query error: look at the cause.
  return e.cause !== undefined && e.cause !== error && isConnectionFailure(e.cause);
}

/** The MySQL error code (e.g. ER_LOCK_DEADLOCK) anywhere in the cause chain; Drizzle wraps driver errors. */
export function databaseErrorCode(error: unknown): string | undefined {
  for (let current = error, depth = 0; current && depth < 5; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

/** Runs a database operation, turning connection failures into DatabaseUnavailableError. */
export async function withDatabase<T>(what: string, operation: () => Promise<T>): Promise<T> {
  try {
    return await operation();
  } catch (error) {
    if (error instanceof InfrastructureError) throw error;
    if (isConnectionFailure(error)) {
      const code = databaseErrorCode(error);
      throw new DatabaseUnavailableError(`${what}: database unavailable${code ? ` (${code})` : ''}`, { cause: error });
    }
    throw toError(error);
  }
}
