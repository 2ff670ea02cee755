/**
 * The popAtomicBatch algorithm every backend shares: lease, hand the batch over, ack what the
 * callback did not report as failed, give back what it did (all of it when it throws). Backends
 * differ only in how they lease, ack and release, which they pass in.
 */
import type { BatchOutcome, Delivery, PopBatchResult } from './types';

export interface BatchOperations {
  lease(max: number): Promise<Delivery[]>;
  /** Resolves with the receipts that were stale. */
  ackBatch(receipts: string[]): Promise<string[]>;
  /** Gives the leases back; must not throw (a lease that cannot be released runs out by itself). */
  releaseQuietly(deliveries: Delivery[]): Promise<void>;
}

/** popAtomicBatch over a backend's own lease, ack and release operations. */
export async function popAtomicBatchWith(
  operations: BatchOperations,
  max: number,
  callback: (deliveries: Delivery[]) => Promise<BatchOutcome>,
): Promise<PopBatchResult & { stale: number }> {
  const deliveries = await operations.lease(max);
  if (deliveries.length === 0) return { leased: 0, acked: 0, failed: 0, stale: 0 };
  let outcome: BatchOutcome;
  try {
    outcome = await callback(deliveries);
  } catch (error) {
    await operations.releaseQuietly(deliveries);
    throw error;
  }
  const failedIds = new Set(outcome.failedIds);
  const succeeded = deliveries.filter((d) => !failedIds.has(d.id));
  const failed = deliveries.filter((d) => failedIds.has(d.id));
  const stale = await operations.ackBatch(succeeded.map((d) => d.receipt));
  if (failed.length > 0) await operations.releaseQuietly(failed);
  return { leased: deliveries.length, acked: succeeded.length - stale.length, failed: failed.length, stale: stale.length };
}
