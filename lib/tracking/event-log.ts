/**
 * The append-only event log (`contribution_tracking_event`): every message received, stored
 * once however often the queue delivers it. Identity is a content hash that ignores the
 * queue's source_* fields, so a message redelivered or re-pushed with new metadata is one event.
 */
import { gte, inArray, sql } from 'drizzle-orm';
import type { ResultSetHeader } from 'mysql2/promise';
import { bulkInsert, columnName } from '../db/bulk-insert';
import type { Db } from '../db/client';
import type { Transaction } from '../db/transaction';
import { contributionTrackingEvent as event } from '../db/schema';
import { parseTrackingBody, type TrackingMessage } from './message';
import type { TrackingEvent } from './merge';

/** The hash that makes the log idempotent: SHA-256 of the canonical JSON without source_* fields. */
export { messageHash } from '../content-hash';

export interface NewEvent {
  message: TrackingMessage;
  hash: string;
  /** The body exactly as delivered. */
  body: string;
}

/** Which of these hashes the log already holds. */
export async function findStoredHashes(db: Db, hashes: string[]): Promise<Set<string>> {
  if (hashes.length === 0) return new Set();
  const rows = await db.select({ hash: event.messageHash }).from(event).where(inArray(event.messageHash, hashes));
  return new Set(rows.map((row) => row.hash));
}

// A plain mysql2 bulk statement (see summary-store.ts for the measurement).
const APPEND = bulkInsert(
  event,
  ['contributionTrackingId', 'ts', 'messageHash', 'message'],
  `ON DUPLICATE KEY UPDATE ${columnName(event.id)} = ${columnName(event.id)}`,
);

/**
 * Appends events in the given order (their ids follow it) and resolves with the first id the
 * statement generated. The caller has checked the hashes under the writer locks of their ids'
 * partitions (transaction.ts), which every writer of those ids takes, and a hash belongs to one
 * id; a hash that is stored all the same (by a writer that bypassed the locks) is left as it is
 * rather than failing the batch: it is the same message.
 */
export async function appendEvents({ conn }: Transaction, events: NewEvent[]): Promise<number | undefined> {
  if (events.length === 0) return undefined;
  const [result] = await conn.query<ResultSetHeader>(APPEND.statement, [
    APPEND.values(events.map((e) => ({ contributionTrackingId: e.message.id, ts: e.message.ts, messageHash: e.hash, message: e.body }))),
  ]);
  // Every event appended here has an id at least this; 0 when every row was already stored.
  return result.insertId > 0 ? result.insertId : undefined;
}

export interface StoredEvent extends TrackingEvent {
  hash: string;
}

/** Events the caller has just appended (ids from `fromId` on), so their bodies need not be read back. */
export interface JustAppended {
  fromId: number;
  byHash: Map<string, TrackingMessage>;
}

/** Every logged event of these tracking ids, parsed. */
export async function readEvents(db: Db, trackingIds: number[], appended?: JustAppended): Promise<StoredEvent[]> {
  if (trackingIds.length === 0) return [];
  // Bodies of the events just appended are known already: they are not sent back.
  const body = appended ? sql<string | null>`IF(${gte(event.id, appended.fromId)}, NULL, ${event.message})` : sql<string | null>`${event.message}`;
  const rows = await db
    .select({ id: event.id, trackingId: event.contributionTrackingId, ts: event.ts, hash: event.messageHash, message: body })
    .from(event)
    .where(inArray(event.contributionTrackingId, trackingIds));
  return rows.map((row) => {
    const known = row.message === null ? appended?.byHash.get(row.hash) : undefined;
    if (row.message === null && !known) throw new Error(`event ${row.id} was not read back`);
    const parsed = known ?? parseTrackingBody(row.message!);
    return { eventId: row.id, trackingId: row.trackingId, ts: row.ts, fields: parsed.fields, hash: row.hash };
  });
}
