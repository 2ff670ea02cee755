/**
 * The batch consumption algorithm every backend shares: lease (with the previous batch's acks
 * in the same call where the backend can), hand the batch over, keep the receipts of what the
 * callback did not report as failed for the next call, give back what it did report (all of it
 * when it throws). popAtomicBatch is one turn of the loop. Backends differ only in how they
 * lease, ack and release, which they pass in.
 */
import type { BatchLoopOutcome, BatchOutcome, ConsumeBatchesResult, Delivery, PopBatchResult } from './types';

export interface BatchOperations {
  /** Acks `acks`, then leases up to `max`; resolves with the deliveries and the stale receipts among `acks`. */
  leaseAfterAcks(max: number, acks: string[]): Promise<{ deliveries: Delivery[]; stale: string[] }>;
  /** Resolves with the receipts that were stale. */
  ackBatch(receipts: string[]): Promise<string[]>;
  /** Gives the leases back; must not throw (a lease that cannot be released runs out by itself). */
  releaseQuietly(deliveries: Delivery[]): Promise<void>;
  /**
   * Set where the backend hands a batch out only once the batch before it is settled (a
   * partition, lib/queue/partitions: its lease answers `busy` while anything is in flight): the
   * next lease must wait for the callback and carry its acks, never be taken ahead of them.
   */
  oneBatchAtATime?: boolean;
}

/** consumeBatches over a backend's own operations; `stale` counts acks that found their lease lost. */
export async function consumeBatchesWith(
  operations: BatchOperations,
  next: () => number,
  callback: (deliveries: Delivery[]) => Promise<BatchLoopOutcome>,
): Promise<ConsumeBatchesResult & { stale: number }> {
  const result: ConsumeBatchesResult & { stale: number } = { leased: 0, acked: 0, failed: 0, batches: 0, stoppedBecause: 'empty', stale: 0 };
  let acks: string[] = [];
  const sendAcks = async () => {
    if (acks.length > 0) result.stale += (await operations.ackBatch(acks)).length;
    acks = [];
  };
  for (;;) {
    const max = next();
    if (max <= 0) {
      result.stoppedBecause = 'stopped';
      await sendAcks();
      break;
    }
    const { deliveries, stale } = await operations.leaseAfterAcks(max, acks);
    acks = [];
    result.stale += stale.length;
    if (deliveries.length === 0) break;
    result.batches += 1;
    result.leased += deliveries.length;
    let outcome: BatchLoopOutcome;
    try {
      outcome = await callback(deliveries);
    } catch (error) {
      await operations.releaseQuietly(deliveries);
      throw error;
    }
    const failedIds = new Set(outcome.failedIds);
    const failed = deliveries.filter((d) => failedIds.has(d.id));
    acks = deliveries.filter((d) => !failedIds.has(d.id)).map((d) => d.receipt);
    result.acked += acks.length;
    result.failed += failed.length;
    if (failed.length > 0) await operations.releaseQuietly(failed);
    if (outcome.stop) {
      result.stoppedBecause = 'stopped';
      await sendAcks();
      break;
    }
  }
  result.acked -= result.stale;
  return result;
}

/** popAtomicBatch over a backend's own operations: one batch of consumeBatches. */
export async function popAtomicBatchWith(
  operations: BatchOperations,
  max: number,
  callback: (deliveries: Delivery[]) => Promise<BatchOutcome>,
): Promise<PopBatchResult & { stale: number }> {
  let asked = false;
  const { leased, acked, failed, stale } = await consumeBatchesWith(
    operations,
    () => (asked ? 0 : ((asked = true), max)),
    async (deliveries) => ({ ...(await callback(deliveries)), stop: true }),
  );
  return { leased, acked, failed, stale };
}
