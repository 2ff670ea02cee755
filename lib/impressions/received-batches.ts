/**
 * The partition batches a consumer has received from Kafka but not applied yet. While one
 * transaction runs, Kafka keeps delivering; what arrives meanwhile is applied together in the
 * next transaction, every partition at once, so a slow database makes transactions larger
 * (and cells repeat more within one) instead of holding up consumption (docs/architecture.md §7.3).
 *
 * Records are classified and summed into their run's aggregate as they arrive, on the
 * JavaScript thread while the database works on the transaction before, and the raw records
 * are let go: what waits costs memory per cell and landing page row, not per event, so the
 * bound (`size`) lets a transaction gather as many events as arrive while the one before runs.
 *
 * Per partition it keeps runs of consecutive offsets. A batch that continues the last run is
 * added to it; records at or below the last received offset are the same records delivered
 * again and are dropped; a batch that starts past the next offset opens a new run, so that the
 * stored offset's gap check sees the hole rather than a merged batch hiding it.
 */
import { classifyEvent, ImpressionAggregate } from './aggregation';
import type { AggregatedBatch, RawMessage } from './batch-commit';
import type { ImpressionTopic } from './config';

/** Consecutive records of one partition, summed, with when the first of them arrived. */
export interface ReceivedRun {
  key: string;
  batch: AggregatedBatch;
  receivedAt: number;
}

/** The partition a batch of records came from. */
export interface ReceivedSource {
  consumerGroup: string;
  topic: ImpressionTopic;
  partition: number;
}

export class ReceivedBatches {
  private readonly runs = new Map<string, ReceivedRun[]>();
  private waitingEvents = 0;
  private waitingSize = 0;

  /** Records waiting, over every partition. */
  get events(): number {
    return this.waitingEvents;
  }

  /** Cells, landing page rows and invalid records (kept for the log sample) waiting, over every partition: the memory bound. */
  get size(): number {
    return this.waitingSize;
  }

  /** Sums records received for partition `key` into its runs until `take` hands them out. Returns how many were new. */
  add(key: string, source: ReceivedSource, messages: RawMessage[], receivedAt: number): number {
    const list = this.runs.get(key) ?? [];
    let last = list[list.length - 1];
    let start = 0;
    if (last) while (start < messages.length && messages[start]!.offset < last.batch.nextOffset) start++;
    if (start === messages.length) return 0;
    if (!last || messages[start]!.offset !== last.batch.nextOffset) {
      last = { key, receivedAt, batch: { ...source, firstOffset: messages[start]!.offset, nextOffset: messages[start]!.offset, records: 0, aggregate: new ImpressionAggregate(), invalid: [] } };
      list.push(last);
    }
    const { batch } = last;
    const sizeBefore = sizeOf(batch);
    const recordsBefore = batch.records;
    for (let m = start; m < messages.length; m++) {
      const message = messages[m]!;
      // A record below the last one is out of order: Kafka never delivers a partition so, drop it.
      if (message.offset < batch.nextOffset) continue;
      const outcome = classifyEvent(source.topic, message.value);
      if (outcome.kind === 'invalid') batch.invalid.push({ offset: message.offset, reason: outcome.reason, uuid: outcome.uuid });
      batch.aggregate.add(outcome);
      batch.records += 1;
      batch.nextOffset = message.offset + 1;
    }
    this.runs.set(key, list);
    const added = batch.records - recordsBefore;
    this.waitingEvents += added;
    this.waitingSize += sizeOf(batch) - sizeBefore;
    return added;
  }

  /**
   * Removes and returns the first run of every partition not in `busy` (partitions whose
   * earlier run is still being applied wait, so that one partition's runs apply in order).
   */
  take(busy: ReadonlySet<string>): ReceivedRun[] {
    const taken: ReceivedRun[] = [];
    for (const [key, list] of this.runs) {
      if (busy.has(key)) continue;
      const run = list.shift()!;
      if (list.length === 0) this.runs.delete(key);
      this.forget(run);
      taken.push(run);
    }
    return taken;
  }

  /** Forgets what waits for partition `key` (the consumer sought elsewhere: Kafka delivers it again). */
  drop(key: string): void {
    for (const run of this.runs.get(key) ?? []) this.forget(run);
    this.runs.delete(key);
  }

  /** Forgets everything (a failed run: none of it was applied, Kafka delivers it again). */
  clear(): void {
    this.runs.clear();
    this.waitingEvents = 0;
    this.waitingSize = 0;
  }

  private forget(run: ReceivedRun): void {
    this.waitingEvents -= run.batch.records;
    this.waitingSize -= sizeOf(run.batch);
  }
}

/** What a run holds in memory: its cells and rows, and its invalid records (a flood of malformed events must pause consumption too). */
function sizeOf(batch: AggregatedBatch): number {
  return batch.aggregate.size + batch.invalid.length;
}
