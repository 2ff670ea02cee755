/**
 * The summary's writer transaction: one transaction (lib/db/transaction.ts) begun only once a
 * named lock that every writer of this database's summary takes is held. Batches of concurrent
 * consumers (and the rebuild) therefore apply one after another, and each one's snapshot (taken
 * at its first read, after the previous writer committed) holds every earlier batch's events.
 * That is also why no writer can meet another's event or summary row half-way: there is no
 * unique key race left to retry.
 */
import type { Pool } from 'mysql2/promise';
import { inTransaction, type Transaction } from '../db/transaction';

/** How long a writer waits for the previous one before giving up (the batch is released). */
const WRITER_LOCK = { name: 'contribution_tracking_writer', timeoutSeconds: 30 };

/** Runs `work` under the writer lock in one transaction, with the shared retry policy. */
export function inWriterTransaction<T>(pool: Pool, what: string, work: (tx: Transaction) => Promise<T>): Promise<T> {
  return inTransaction(pool, what, work, { lock: WRITER_LOCK });
}
