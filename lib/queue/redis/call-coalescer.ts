/**
 * Merges the calls that many concurrent consumers make in the same turn of the event loop into one
 * batch call per queue. Without it, popAtomic costs two script calls per message (lease, ack) and
 * 64 concurrent consumers are bound by per-call overhead on both client and server; merged, they
 * share one `lease(max: n)` and one `ackBatch`, several times faster (bench/queue.ts). Every caller
 * still gets its own result: its own delivery and receipt, its own stale-or-not answer.
 */
// From node:timers rather than the global, so that tests which fake timers do not stall queue calls.
import { setImmediate } from 'node:timers';

interface Waiting<I, O> {
  item: I;
  resolve: (output: O) => void;
  reject: (error: unknown) => void;
}

export class CallCoalescer<I, O> {
  private readonly pending = new Map<string, Waiting<I, O>[]>();

  /**
   * @param run does one batch call for `key`; resolves with one output per item, in item order.
   * @param maxBatch a batch that reaches this size is sent at once.
   */
  constructor(
    private readonly run: (key: string, items: I[]) => Promise<O[]>,
    private readonly maxBatch: number,
  ) {}

  /** Queues `item` for the next batch of `key`; the batch goes out once this event-loop turn ends. */
  call(key: string, item: I): Promise<O> {
    return new Promise<O>((resolve, reject) => {
      let batch = this.pending.get(key);
      if (!batch) {
        batch = [];
        this.pending.set(key, batch);
        const scheduled = batch;
        setImmediate(() => this.flush(key, scheduled));
      }
      batch.push({ item, resolve, reject });
      if (batch.length >= this.maxBatch) this.flush(key, batch);
    });
  }

  private flush(key: string, batch: Waiting<I, O>[]): void {
    if (this.pending.get(key) === batch) this.pending.delete(key);
    if (batch.length === 0) return;
    const waiting = batch.splice(0);
    this.run(
      key,
      waiting.map((w) => w.item),
    ).then(
      (outputs) => waiting.forEach((w, i) => w.resolve(outputs[i] as O)),
      (error: unknown) => waiting.forEach((w) => w.reject(error)),
    );
  }
}
