/**
 * What a failed MariaDB call means, decided in one place for every capability. A database that
 * is down, or a unit of work that keeps losing lock races, must stop a run with the message left
 * in its queue (InfrastructureError); a statement the database refuses is the message's fault
 * (PermanentError). transaction.ts applies this to every read and write.
 */
import { InfrastructureError, PermanentError } from '../errors';

/** The database could not be reached or dropped the connection. */
export class DatabaseUnavailableError extends InfrastructureError {}

/**
 * The work lost a deadlock or a lock wait on every attempt the retry policy allows. The database
 * is up and nothing is wrong with the data: the work was rolled back and can be done again later.
 */
export class DatabaseContentionError extends InfrastructureError {}

/**
 * The database refused a statement (a constraint, a value that does not fit, a broken query):
 * running it again would fail the same way. The message names the MySQL error code only, since
 * the driver's own text can quote row values.
 */
export class DatabaseRejectedError extends PermanentError {
  constructor(
    message: string,
    readonly code: string | undefined,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** How the retry policy treats a failure. */
export type DatabaseFailure = 'lock-conflict' | 'unavailable' | 'rejected' | 'not-database';

/** ER_LOCK_WAIT_TIMEOUT and ER_LOCK_DEADLOCK: the server rolled back the statement or the transaction; doing it again can succeed. */
const LOCK_CONFLICT_ERRNOS = new Set([1205, 1213]);
/**
 * Server replies that mean "not taking work now" rather than "not this statement": running the
 * same statement later can succeed. A statement that always runs into one (a timeout it always
 * exceeds) still ends in the dead letters: the consumers' release counts while the server answers
 * (lib/consumer/settle.ts, failureWasOutage).
 */
const UNAVAILABLE_ERRNOS = new Set([
  1040, // ER_CON_COUNT_ERROR: too many connections
  1041, // ER_OUT_OF_RESOURCES
  1047, // ER_UNKNOWN_COM_ERROR: a Galera node not yet synced ("WSREP has not yet prepared node")
  1053, // ER_SERVER_SHUTDOWN
  1135, // ER_CANT_CREATE_THREAD
  1203, // ER_TOO_MANY_USER_CONNECTIONS
  1290, // ER_OPTION_PREVENTS_STATEMENT: --read-only, as a primary is during a failover
  1317, // ER_QUERY_INTERRUPTED: KILL QUERY, a server shutting down
  1836, // ER_READ_ONLY_MODE
  1927, // ER_CONNECTION_KILLED
  1969, // ER_STATEMENT_TIMEOUT (MariaDB's max_statement_time)
]);

/**
 * Below this, MySQL and MariaDB give an errno the same meaning; from it on they differ, and the
 * driver's code names (MySQL's table) can be wrong for a MariaDB server (its 4025, a failed CHECK
 * or JSON constraint, would read ER_INNODB_AUTOEXTEND_SIZE_OUT_OF_RANGE).
 */
const SHARED_ERRNOS_BELOW = 1900;

interface DriverError {
  fatal?: unknown;
  errno?: unknown;
  sqlState?: unknown;
  code?: unknown;
  cause?: unknown;
}

/** The mysql2 error in the cause chain (Drizzle wraps driver errors in DrizzleQueryError), if any. */
function driverError(error: unknown): DriverError | undefined {
  let current = error;
  for (let depth = 0; depth < 5 && current !== null && typeof current === 'object'; depth++) {
    const e = current as DriverError;
    if (e.fatal !== undefined || typeof e.errno === 'number' || typeof e.sqlState === 'string' || typeof e.code === 'string') return e;
    current = e.cause;
  }
  return undefined;
}

/**
 * Sorts a thrown value for the retry policy: connection failures (mysql2 marks them `fatal`;
 * network errors carry a Node code and no SQL state), lock conflicts, statements the server
 * refused, and anything that did not come from the database at all.
 */
export function classifyDatabaseError(error: unknown): DatabaseFailure {
  const e = driverError(error);
  if (!e) return 'not-database';
  if (e.fatal === true) return 'unavailable';
  if (typeof e.errno === 'number' && LOCK_CONFLICT_ERRNOS.has(e.errno)) return 'lock-conflict';
  if (typeof e.errno === 'number' && UNAVAILABLE_ERRNOS.has(e.errno)) return 'unavailable';
  if (e.sqlState === undefined && typeof e.code === 'string' && /^(E[A-Z]+|PROTOCOL_.*|POOL_CLOSED)$/.test(e.code)) return 'unavailable';
  if (typeof e.errno === 'number' || typeof e.sqlState === 'string') return 'rejected';
  return 'not-database';
}

/**
 * True when a unique key refused the statement (ER_DUP_ENTRY, 1062) anywhere in the cause chain:
 * for a caller whose duplicate is a race with another writer that it answers itself (runs its work
 * again, say), rather than a statement at fault.
 */
export function isDuplicateKeyError(error: unknown): boolean {
  return driverError(error)?.errno === 1062;
}

/**
 * What names the failure in error texts and logs, from anywhere in the cause chain: the error code
 * of a server reply MySQL and MariaDB share (ER_DUP_ENTRY), the errno of one they do not
 * (`errno 4025`), the Node code of a network failure (ECONNREFUSED). Never the driver's message,
 * which can quote values.
 */
export function databaseErrorCode(error: unknown): string | undefined {
  const e = driverError(error);
  const code = typeof e?.code === 'string' ? e.code : undefined;
  if (typeof e?.errno === 'number' && typeof e.sqlState === 'string' && (e.errno >= SHARED_ERRNOS_BELOW || code === undefined)) return `errno ${e.errno}`;
  return code;
}
