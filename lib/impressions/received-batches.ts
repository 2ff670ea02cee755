/**
 * The partition batches a consumer has received from Kafka but not applied yet. While one
 * transaction runs, Kafka keeps delivering; what arrives meanwhile is applied together in the
 * next transaction, every partition at once, so a slow database makes transactions larger
 * (and cells repeat more within one) instead of holding up consumption (docs/architecture.md §7.3).
 *
 * Per partition it keeps runs of consecutive offsets. A batch that continues the last run is
 * appended to it; records at or below the last buffered offset are the same records delivered
 * again and are dropped; a batch that starts past the next offset opens a new run, so that the
 * stored offset's gap check sees the hole rather than a merged batch hiding it.
 */
import type { RawMessage, SourceBatch } from './batch-commit';

/** Consecutive records of one partition, waiting, with when the first of them arrived. */
export interface ReceivedRun {
  key: string;
  batch: SourceBatch;
  receivedAt: number;
}

export class ReceivedBatches {
  private readonly runs = new Map<string, ReceivedRun[]>();
  private waitingEvents = 0;

  /** Records waiting, over every partition. */
  get events(): number {
    return this.waitingEvents;
  }

  /** Keeps a batch received for partition `key` until `take` hands it out. */
  add(key: string, batch: SourceBatch, receivedAt: number): void {
    const list = this.runs.get(key) ?? [];
    const last = list[list.length - 1];
    const lastOffset = last ? last.batch.messages[last.batch.messages.length - 1]!.offset : -1;
    const fresh: RawMessage[] = last ? batch.messages.filter((message) => message.offset > lastOffset) : batch.messages;
    if (fresh.length === 0) return;
    if (last && fresh[0]!.offset === lastOffset + 1) {
      for (const message of fresh) last.batch.messages.push(message);
    } else {
      list.push({ key, batch: { ...batch, messages: [...fresh] }, receivedAt });
    }
    this.runs.set(key, list);
    this.waitingEvents += fresh.length;
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
      this.waitingEvents -= run.batch.messages.length;
      taken.push(run);
    }
    return taken;
  }

  /** Forgets what waits for partition `key` (the consumer sought elsewhere: Kafka delivers it again). */
  drop(key: string): void {
    for (const run of this.runs.get(key) ?? []) this.waitingEvents -= run.batch.messages.length;
    this.runs.delete(key);
  }

  /** Forgets everything (a failed run: none of it was applied, Kafka delivers it again). */
  clear(): void {
    this.runs.clear();
    this.waitingEvents = 0;
  }
}
