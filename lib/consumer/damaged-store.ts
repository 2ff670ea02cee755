/**
 * The `damaged` store: where every message that could not be processed ends up, with its raw
 * body, its original queue, the ids people search by, the error and its trace. It never
 * rejects a message for its content: odd field types are stringified and only what cannot fit
 * a column is shortened (never the body). When the database itself fails, the caller gets a
 * DamagedStoreUnavailableError, an InfrastructureError: the message must then stay in its queue.
 */
import { and, asc, eq, inArray, isNotNull, lte } from 'drizzle-orm';
import { databaseAnswers, type Db } from '../db/client';
import { databaseErrorCode } from '../db/errors';
import { damaged, type DamagedRow } from '../db/schema';
import { withDatabase } from '../db/transaction';
import { InfrastructureError } from '../errors';
import { parseJsonObject } from '../json-object';
import { truncateBytes, truncateChars } from '../truncate';
import { messageTimestamp } from './message-time';

/** The store could not be written or read: nothing is wrong with the message. */
export class DamagedStoreUnavailableError extends InfrastructureError {}

export interface DamagedEntry {
  /** The queue the message came from (requeue-damaged pushes it back there). */
  queue: string;
  /** The raw body exactly as delivered; stored verbatim. */
  body: string;
  /** Error text; an Error gives its message and, unless `trace` is set, its stack. */
  error: Error | string;
  trace?: string | null;
  /** When requeue-damaged should push it back; null or absent: never (a person looks at it). */
  retryDate?: Date | null;
  /** Used when the body carries no readable source_enqueued_time or date; now otherwise. */
  originalDate?: Date;
}

export interface DamagedStore {
  /** Stores one failed message; rejects only with DamagedStoreUnavailableError. */
  insert(entry: DamagedEntry, now?: Date): Promise<void>;
  /** Rows whose retry date has passed at `now`, oldest retry date first, at most `limit`. */
  listDueForRetry(now: Date, limit: number): Promise<DamagedRow[]>;
  /** Stops a row from being retried (e.g. its body cannot be requeued); it stays for a person. */
  clearRetryDate(id: number): Promise<void>;
  /** Deletes rows by id; resolves with how many went. */
  deleteByIds(ids: number[]): Promise<number>;
  /** Whether the store answers now; never rejects (asked after a failure: settle.ts, failureWasOutage). */
  reachable(): Promise<boolean>;
}

const VARCHAR_CHARS = 255;
/** TEXT holds 65,535 bytes; utf8mb4 takes up to 4 bytes a character. */
const TEXT_BYTES = 65535;
/** Ends an error or trace that had to be cut, so that a person reading the row knows. */
const TRUNCATED = '…[truncated]';

/** Builds the row that `insert` writes; pure, so that its rules are testable without a database. */
export function damagedRowFor(entry: DamagedEntry, now: Date = new Date()): typeof damaged.$inferInsert {
  const decoded = parseJsonObject(entry.body);
  const parsed = decoded.ok ? decoded.value : null;
  const produced = parsed ? messageTimestamp(parsed) : null;
  const errorText = entry.error instanceof Error ? `${entry.error.name}: ${entry.error.message}` : String(entry.error);
  const trace = entry.trace !== undefined ? entry.trace : entry.error instanceof Error ? (entry.error.stack ?? null) : null;
  return {
    originalDate: produced !== null ? new Date(produced) : (entry.originalDate ?? now),
    damagedDate: now,
    retryDate: entry.retryDate ?? null,
    originalQueue: truncateChars(entry.queue, VARCHAR_CHARS),
    gateway: field(parsed, 'gateway'),
    orderId: field(parsed, 'order_id'),
    gatewayTxnId: field(parsed, 'gateway_txn_id'),
    error: truncateBytes(errorText, TEXT_BYTES, TRUNCATED),
    trace: trace === null ? null : truncateBytes(trace, TEXT_BYTES, TRUNCATED),
    message: entry.body,
  };
}

/** A store over the project's database handle. */
export function createDamagedStore(db: Db): DamagedStore {
  return {
    async insert(entry, now = new Date()) {
      const row = damagedRowFor(entry, now);
      await unavailableOnFailure('insert into damaged', () => db.insert(damaged).values(row));
    },
    async listDueForRetry(now, limit) {
      return unavailableOnFailure('read damaged', () =>
        db
          .select()
          .from(damaged)
          .where(and(isNotNull(damaged.retryDate), lte(damaged.retryDate, now)))
          .orderBy(asc(damaged.retryDate), asc(damaged.id))
          .limit(limit),
      );
    },
    async clearRetryDate(id) {
      await unavailableOnFailure('update damaged', () => db.update(damaged).set({ retryDate: null }).where(eq(damaged.id, id)));
    },
    async deleteByIds(ids) {
      if (ids.length === 0) return 0;
      const [result] = await unavailableOnFailure('delete from damaged', () => db.delete(damaged).where(inArray(damaged.id, ids)));
      return result.affectedRows;
    },
    reachable: () => databaseAnswers(db),
  };
}

/**
 * The shared retry policy (lock conflicts retried), then any failure that is left, a refused
 * row included, is the store's: the message must stay in its queue rather than be lost.
 */
async function unavailableOnFailure<T>(what: string, operation: () => Promise<T>): Promise<T> {
  try {
    return await withDatabase(what, operation);
  } catch (error) {
    const code = databaseErrorCode(error);
    throw new DamagedStoreUnavailableError(`${what} failed${code ? ` (${code})` : ''}`, { cause: error });
  }
}

function field(body: Record<string, unknown> | null, key: string): string | null {
  const value = body?.[key];
  if (value === undefined || value === null || value === '') return null;
  const text = typeof value === 'string' ? value : typeof value === 'object' ? JSON.stringify(value) : String(value);
  return truncateChars(text, VARCHAR_CHARS);
}
