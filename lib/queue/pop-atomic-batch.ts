/**
 * The batch consumption algorithm every backend shares: lease (with the acks of an earlier batch
 * in the same call where the backend can), hand the batch over, keep the receipts of what the
 * callback did not report as failed for a later call, give back what it did report (all of it
 * when it throws). While a full batch is in the callback's hands the next one is already being
 * leased, so the queue's round trip overlaps the callback's work (docs/queue.md, Lease ahead).
 * popAtomicBatch is one turn of the loop. Backends differ only in how they lease, ack and
 * release, which they pass in.
 */
import type { BatchLoopOutcome, BatchOutcome, ConsumeBatchesOptions, ConsumeBatchesResult, Delivery, PopBatchResult } from './types';

export interface BatchOperations {
  /** Acks `acks`, then leases up to `max`; resolves with the deliveries and the stale receipts among `acks`. */
  leaseAfterAcks(max: number, acks: string[]): Promise<{ deliveries: Delivery[]; stale: string[] }>;
  /** Resolves with the receipts that were stale. */
  ackBatch(receipts: string[]): Promise<string[]>;
  /** Gives the leases back; must not throw (a lease that cannot be released runs out by itself). */
  releaseQuietly(deliveries: Delivery[]): Promise<void>;
  /**
   * Gives back deliveries that were leased ahead and never handed to a callback, to their places
   * and with their receive counts as before that lease (QueueCapabilities.leaseAheadUncounted);
   * must not throw. Absent: `releaseQuietly` gives them back and the lease counts as a delivery.
   */
  releaseUnhandled?(deliveries: Delivery[]): Promise<void>;
  /**
   * Set where the backend hands a batch out only once the batch before it is settled (a
   * partition, lib/queue/partitions: its lease answers `busy` while anything is in flight): the
   * next lease must wait for the callback and carry its acks, never be taken ahead of them.
   */
  oneBatchAtATime?: boolean;
}

type Leased = { deliveries: Delivery[]; stale: string[] };
/** A lease in flight, settled either way so that it never rejects unobserved while a callback runs. */
type LeaseAhead = Promise<{ leased: Leased } | { error: unknown }>;

/**
 * consumeBatches over a backend's own operations; `stale` counts acks that found their lease lost.
 * `next(inFlight)` is asked before each lease, `inFlight` being what is leased and not yet handled.
 */
export async function consumeBatchesWith(
  operations: BatchOperations,
  next: (inFlight: number) => number,
  callback: (deliveries: Delivery[]) => Promise<BatchLoopOutcome>,
  options: ConsumeBatchesOptions = {},
): Promise<ConsumeBatchesResult & { stale: number }> {
  const result: ConsumeBatchesResult & { stale: number } = { leased: 0, acked: 0, failed: 0, batches: 0, stoppedBecause: 'empty', stale: 0 };
  const releaseUnhandled = (deliveries: Delivery[]) =>
    deliveries.length === 0 ? Promise.resolve() : (operations.releaseUnhandled ?? operations.releaseQuietly)(deliveries);
  /** Receipts of handled messages not yet acked: they ride on the next lease call. */
  let acks: string[] = [];
  const sendAcks = async () => {
    if (acks.length > 0) result.stale += (await operations.ackBatch(acks)).length;
    acks = [];
  };
  const lease = async (max: number): Promise<Leased> => {
    const sent = acks;
    acks = [];
    const leased = await operations.leaseAfterAcks(max, sent);
    result.stale += leased.stale.length;
    return leased;
  };

  let asked = next(0);
  let batch: Delivery[] = asked > 0 ? (await lease(asked)).deliveries : [];
  if (asked <= 0) result.stoppedBecause = 'stopped';
  while (batch.length > 0) {
    // A full batch says more may be waiting: lease the next one while this one is handled. A
    // short one says the queue had no more, and the acks wait for the lease after the callback;
    // so do they where the backend hands out one batch at a time (oneBatchAtATime).
    let ahead: LeaseAhead | undefined;
    let aheadAsked = 0;
    let stopAfter = false;
    if (batch.length >= asked && !operations.oneBatchAtATime) {
      aheadAsked = next(batch.length);
      if (aheadAsked > 0) {
        ahead = lease(aheadAsked).then(
          (leased) => {
            try {
              if (leased.deliveries.length > 0) options.prepare?.(leased.deliveries);
            } catch {
              // Only a head start: the callback does the same work itself. The lease must not be lost.
            }
            return { leased };
          },
          (error: unknown) => ({ error }),
        );
      } else stopAfter = true;
    }
    result.batches += 1;
    result.leased += batch.length;
    let outcome: BatchLoopOutcome;
    try {
      outcome = await callback(batch);
    } catch (error) {
      await operations.releaseQuietly(batch);
      const settled = await ahead;
      if (settled && 'leased' in settled) await releaseUnhandled(settled.leased.deliveries);
      // Acks no lease carried yet (those before a short batch) still go: those messages were handled.
      await sendAcks().catch(() => undefined);
      throw error;
    }
    if (outcome.unhandled) {
      // Nothing of this batch was started: it goes back as the batch leased ahead does, behind nothing.
      await releaseUnhandled(batch);
      const settled = await ahead;
      if (settled && 'leased' in settled) await releaseUnhandled(settled.leased.deliveries);
      // Counted above as handed to the callback, which it was not.
      result.batches -= 1;
      result.leased -= batch.length;
      result.stoppedBecause = 'stopped';
      break;
    }
    const failedIds = new Set(outcome.failedIds);
    const failed = batch.filter((d) => failedIds.has(d.id));
    const handled = batch.filter((d) => !failedIds.has(d.id)).map((d) => d.receipt);
    acks.push(...handled);
    result.acked += handled.length;
    result.failed += failed.length;
    if (failed.length > 0) await (outcome.uncounted ? releaseUnhandled(failed) : operations.releaseQuietly(failed));
    const settled = await ahead;
    const leasedAhead = settled && 'leased' in settled ? settled.leased.deliveries : [];
    // A lease ahead that failed fails the run, unless the callback asked to stop anyway: then the
    // loop stops as asked (the acks that lease carried are lost, the messages come back).
    if (settled && 'error' in settled && !outcome.stop) throw settled.error;
    if (outcome.stop || failed.length > 0) {
      // What was leased ahead goes back too, behind the released ones: nothing overtakes them.
      await releaseUnhandled(leasedAhead);
      if (outcome.stop) stopAfter = true;
    } else if (leasedAhead.length > 0) {
      batch = leasedAhead;
      asked = aheadAsked;
      continue;
    }
    if (stopAfter) {
      result.stoppedBecause = 'stopped';
      break;
    }
    // No batch in hand: the next lease carries the acks (and finds the queue empty, or more).
    asked = next(0);
    if (asked <= 0) {
      result.stoppedBecause = 'stopped';
      break;
    }
    batch = (await lease(asked)).deliveries;
  }
  await sendAcks();
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
