/**
 * The stored Kafka offsets: for each (consumer group, topic, partition), the next offset
 * whose event has not been applied to the impressions tables yet.
 *
 * The offset row is locked at the start of a batch transaction and rewritten at its end, in
 * the same transaction as the counts, so a batch and its offsets commit together or not at
 * all, and two loaders that hold the same partition for a moment (a rebalance) take turns.
 * The statements run in the batch's transaction (its Drizzle handle, lib/db/transaction.ts).
 */
import { and, asc, eq, sql } from 'drizzle-orm';
import type { Db } from '../db/client';
import { impressionsKafkaOffsets as offsets } from '../db/schema';

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
export async function lockStoredOffset(tx: Db, source: OffsetSource): Promise<number | null> {
  const existing = await selectForUpdate(tx, source);
  if (existing) return existing.nextOffset;
  // Insert only when missing: taking a shared lock on an existing row and then upgrading it
  // would let two transactions deadlock.
  await tx
    .insert(offsets)
    .ignore()
    .values({ consumerGroup: source.consumerGroup, topic: source.topic, partition: source.partition, nextOffset: null, updatedAt: sql`UTC_TIMESTAMP()` });
  const created = await selectForUpdate(tx, source);
  if (!created) throw new Error('offset row vanished inside its own transaction');
  return created.nextOffset;
}

/** Records that the source has been applied up to (not including) `nextOffset`. */
export async function storeOffset(tx: Db, source: OffsetSource, nextOffset: number, tallies: OffsetTallies): Promise<void> {
  await tx
    .update(offsets)
    .set({
      nextOffset,
      countedEvents: sql`${offsets.countedEvents} + ${tallies.counted}`,
      ignoredEvents: sql`${offsets.ignoredEvents} + ${tallies.ignored}`,
      invalidEvents: sql`${offsets.invalidEvents} + ${tallies.invalid}`,
      updatedAt: sql`UTC_TIMESTAMP()`,
    })
    .where(sourceIs(source));
}

/** Every stored offset of a consumer group (monitoring, tests, the benchmark). */
export async function readStoredOffsets(db: Db, consumerGroup: string): Promise<StoredOffset[]> {
  return db
    .select()
    .from(offsets)
    .where(eq(offsets.consumerGroup, consumerGroup))
    .orderBy(asc(offsets.topic), asc(offsets.partition));
}

function sourceIs(source: OffsetSource) {
  return and(eq(offsets.consumerGroup, source.consumerGroup), eq(offsets.topic, source.topic), eq(offsets.partition, source.partition));
}

async function selectForUpdate(tx: Db, source: OffsetSource): Promise<{ nextOffset: number | null } | undefined> {
  const rows = await tx.select({ nextOffset: offsets.nextOffset }).from(offsets).where(sourceIs(source)).for('update');
  return rows[0];
}
