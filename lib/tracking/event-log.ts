/**
 * The append-only event log (`contribution_tracking_event`): every message received, stored
 * once however often the queue delivers it. Identity is a content hash that ignores the
 * queue's source_* fields, so a message redelivered or re-pushed with new metadata is one event.
 */
import type { PoolConnection, ResultSetHeader, RowDataPacket } from 'mysql2/promise';
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
export async function findStoredHashes(conn: PoolConnection, hashes: string[]): Promise<Set<string>> {
  if (hashes.length === 0) return new Set();
  const [rows] = await conn.query<RowDataPacket[]>(
    'SELECT message_hash FROM contribution_tracking_event WHERE message_hash IN (?)',
    [hashes],
  );
  return new Set(rows.map((row) => String(row.message_hash)));
}

/**
 * Appends events in the given order (their ids follow it). The caller has checked the hashes
 * under the writer lock; a hash stored meanwhile by anyone else fails the statement (1062) and
 * the transaction is retried.
 */
export async function appendEvents(conn: PoolConnection, events: NewEvent[]): Promise<number | undefined> {
  if (events.length === 0) return undefined;
  const [result] = await conn.query<ResultSetHeader>(
    'INSERT INTO contribution_tracking_event (contribution_tracking_id, ts, message_hash, message) VALUES ?',
    [events.map((event) => [event.message.id, event.message.ts, event.hash, event.body])],
  );
  // The first id this statement generated: every event appended here has an id at least this.
  return result.insertId;
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
export async function readEvents(conn: PoolConnection, trackingIds: number[], appended?: JustAppended): Promise<StoredEvent[]> {
  if (trackingIds.length === 0) return [];
  const [rows] = await conn.query<RowDataPacket[]>(
    'SELECT id, contribution_tracking_id, ts, message_hash, IF(id >= ?, NULL, message) AS message FROM contribution_tracking_event WHERE contribution_tracking_id IN (?)',
    [appended?.fromId ?? Number.MAX_SAFE_INTEGER, trackingIds],
  );
  return rows.map((row) => {
    const known = row.message === null ? appended?.byHash.get(String(row.message_hash)) : undefined;
    if (row.message === null && !known) throw new Error(`event ${String(row.id)} was not read back`);
    const parsed = known ?? parseTrackingBody(String(row.message));
    return {
      eventId: Number(row.id),
      trackingId: Number(row.contribution_tracking_id),
      ts: String(row.ts),
      fields: parsed.fields,
      hash: String(row.message_hash),
    };
  });
}
