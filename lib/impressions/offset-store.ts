/**
 * The stored Kafka offsets: for each (consumer group, topic, partition), the next offset
 * whose event has not been applied to the impressions tables yet.
 *
 * The offset row is locked at the start of a batch transaction and rewritten at its end, in
 * the same transaction as the counts, so a batch and its offsets commit together or not at
 * all, and two loaders that hold the same partition for a moment (a rebalance) take turns.
 * The statements run on the batch's own connection (plain mysql2: this is the hot path).
 */
import { asc, eq } from 'drizzle-orm';
import type { PoolConnection, RowDataPacket } from 'mysql2/promise';
import type { Db } from '../db/client';
import { impressionsKafkaOffsets } from '../db/schema';

/** A pooled connection inside an open transaction. */
export type TxConnection = PoolConnection;

/** Where a batch comes from. Backfills use the file as topic and partition 0. */
export interface OffsetSource {
  consumerGroup: string;
  topic: string;
  partition: number;
}

/** What a batch held, added to the partition's running totals. */
export interface OffsetTallies {
  counted: number;
  ignored: number;
  invalid: number;
}

export interface StoredOffset extends OffsetSource {
  nextOffset: number | null;
  countedEvents: number;
  ignoredEvents: number;
  invalidEvents: number;
  updatedAt: Date;
}

/**
 * Locks the source's offset row for the rest of the transaction (creating it when the
 * partition is new) and returns the next offset to apply, or null when nothing has been
 * applied yet. A second transaction for the same partition waits here until this one ends.
 */
export async function lockStoredOffset(tx: TxConnection, source: OffsetSource): Promise<number | null> {
  const existing = await selectForUpdate(tx, source);
  if (existing) return existing.nextOffset;
  // Insert only when missing: taking a shared lock on an existing row and then upgrading it
  // would let two transactions deadlock.
  await tx.query(
    'INSERT IGNORE INTO impressions_kafka_offsets (consumer_group, topic, kafka_partition, next_offset, updated_at) VALUES (?, ?, ?, NULL, UTC_TIMESTAMP())',
    [source.consumerGroup, source.topic, source.partition],
  );
  const created = await selectForUpdate(tx, source);
  if (!created) throw new Error('offset row vanished inside its own transaction');
  return created.nextOffset;
}

/** Records that the source has been applied up to (not including) `nextOffset`. */
export async function storeOffset(tx: TxConnection, source: OffsetSource, nextOffset: number, tallies: OffsetTallies): Promise<void> {
  await tx.query(
    `UPDATE impressions_kafka_offsets
        SET next_offset = ?, counted_events = counted_events + ?, ignored_events = ignored_events + ?,
            invalid_events = invalid_events + ?, updated_at = UTC_TIMESTAMP()
      WHERE consumer_group = ? AND topic = ? AND kafka_partition = ?`,
    [nextOffset, tallies.counted, tallies.ignored, tallies.invalid, source.consumerGroup, source.topic, source.partition],
  );
}

/** Every stored offset of a consumer group (monitoring, tests, the benchmark). */
export async function readStoredOffsets(db: Db, consumerGroup: string): Promise<StoredOffset[]> {
  return db
    .select()
    .from(impressionsKafkaOffsets)
    .where(eq(impressionsKafkaOffsets.consumerGroup, consumerGroup))
    .orderBy(asc(impressionsKafkaOffsets.topic), asc(impressionsKafkaOffsets.partition));
}

async function selectForUpdate(tx: TxConnection, source: OffsetSource): Promise<{ nextOffset: number | null } | undefined> {
  const [rows] = await tx.query<RowDataPacket[]>(
    'SELECT next_offset FROM impressions_kafka_offsets WHERE consumer_group = ? AND topic = ? AND kafka_partition = ? FOR UPDATE',
    [source.consumerGroup, source.topic, source.partition],
  );
  const row = rows[0];
  return row ? { nextOffset: row.next_offset === null ? null : Number(row.next_offset) } : undefined;
}
