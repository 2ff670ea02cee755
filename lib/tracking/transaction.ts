/**
 * The summary's writer transaction: one transaction (lib/db/transaction.ts) begun only once the
 * writer locks of the tracking ids it writes are held. There is one lock per partition of the
 * tracking queue (docs/architecture.md §7.2; one lock in all when the queue is not partitioned),
 * so the consumers of different partitions write at once, while the batches that touch one
 * partition's ids (its consumer, a stale owner whose lease ran out, the rebuild) apply one after
 * another, each one reading (after the previous writer committed) every earlier batch's events of
 * those ids. A writer that touches several partitions (an SQS batch of a FIFO queue spans several
 * message groups, the rebuild's chunk of ids) takes their locks in ascending order, so that no two
 * writers each wait for a lock the other holds.
 *
 * READ COMMITTED, not the server's REPEATABLE READ: writers of different partitions run at the
 * same moment, and REPEATABLE READ's gap locks (and the row locks an UPDATE's scan takes) would
 * make them deadlock on each other's rows. Under its locks a writer sees its own ids as a snapshot
 * would (nobody else writes them), and other ids' contribution claims as last committed.
 *
 * What crosses ids is the contribution_id's uniqueness: two writers of different partitions may
 * claim one contribution_id for two ids at once, each seeing it free. The unique key on
 * contribution_tracking.contribution_id decides (summary-store.ts sets it with an UPDATE that
 * fails on a taken value, waiting for the other writer's commit); the batch that lost is rolled
 * back and written again, and its claim check then reads the claim taken.
 */
import type { Pool } from 'mysql2/promise';
import { inTransaction, type Transaction } from '../db/transaction';
import { partitionOfKey, type PartitionSpec } from '../queue/partitions';
import { ContributionClaimRaceError } from './errors';

/** The lock of an unpartitioned tracking queue, and the stem of each partition's. */
const WRITER_LOCK = 'contribution_tracking_writer';
/** How long a writer waits for each lock before giving up (the batch is released). */
const WRITER_LOCK_TIMEOUT_SECONDS = 30;
/**
 * Attempts of a batch that keeps losing contribution_id races, the first included: each lost race
 * means another writer committed that claim, which the next attempt sees.
 */
const CLAIM_RACE_ATTEMPTS = 5;

/**
 * The writer locks of `trackingIds`, ascending: the lock of each partition their ids route to
 * (by the tracking id's decimal text, as the producer routes a message by its `id`), or the one
 * lock when the queue is not partitioned.
 */
export function writerLocks(spec: PartitionSpec | undefined, trackingIds: Iterable<number>): string[] {
  if (!spec) return [WRITER_LOCK];
  const partitions = new Set<number>();
  for (const id of trackingIds) partitions.add(partitionOfKey(String(id), spec.partitions));
  return [...partitions].sort((a, b) => a - b).map((partition) => `${WRITER_LOCK}#${partition}`);
}

/**
 * Runs `work` in one transaction under the writer locks of `trackingIds` (writerLocks), with the
 * shared retry policy; a contribution_id race it lost (ContributionClaimRaceError) runs it again
 * from the start, so `work` must have no effect outside the database.
 */
export async function inWriterTransaction<T>(
  pool: Pool,
  what: string,
  locks: { spec: PartitionSpec | undefined; trackingIds: Iterable<number> },
  work: (tx: Transaction) => Promise<T>,
): Promise<T> {
  const names = writerLocks(locks.spec, locks.trackingIds);
  for (let attempt = 1; ; attempt++) {
    try {
      return await inTransaction(pool, what, work, { isolation: 'READ COMMITTED', locks: { names, timeoutSeconds: WRITER_LOCK_TIMEOUT_SECONDS } });
    } catch (error) {
      if (!(error instanceof ContributionClaimRaceError) || attempt >= CLAIM_RACE_ATTEMPTS) throw error;
    }
  }
}
