/**
 * Merges the calls that many concurrent consumers make into batch calls, per queue. Without it,
 * popAtomic costs two script calls per message (lease, ack), and 64 concurrent consumers are bound
 * by per-call overhead on both client and server; merged, the leases and acks of one event-loop
 * turn share one lease script call with the acks piggybacked (bench/queue.ts). Every caller still
 * gets its own result: its own delivery and receipt, its own stale-or-not answer.
 *
 * A call to an idle key goes out at once, so a lone consumer sees plain single calls with no added
 * latency. While a key has calls in flight, new calls gather until the current event-loop turn
 * ends and then go out together: in two calls of half each once there are SPLIT_FROM or more, so
 * that Redis runs one half while this process handles the other's replies and its callers' next
 * calls. Sent as one call, the process and Redis took turns, each idle while the other worked
 * (bench/queue.ts, 64 concurrent popAtomic or push calls: about a fifth more messages per second
 * in halves, measured side by side on an idle machine of this kind).
 */
// From node:timers rather than the global, so that tests which fake timers do not stall queue calls.
import { setImmediate } from 'node:timers';

/** Gathered calls from which a batch goes out in two halves. */
export const SPLIT_FROM = 8;

interface Waiting<I, O> {
  item: I;
  resolve: (output: O) => void;
  reject: (error: unknown) => void;
}

interface KeyState<I, O> {
  inFlight: number;
  /** Calls gathering for the batch that goes out at the end of this turn, if any. */
  gathering?: Waiting<I, O>[];
}

export class CallCoalescer<I, O> {
  private readonly keys = new Map<string, KeyState<I, O>>();

  /**
   * @param run does one batch call for `key`; resolves with one output per item, in item order.
   * @param maxBatch most items in one batch call.
   */
  constructor(
    private readonly run: (key: string, items: I[]) => Promise<O[]>,
    private readonly maxBatch: number,
  ) {}

  /** Sends `item` now when `key` is idle, else with the batch gathering in this event-loop turn (see SPLIT_FROM). */
  call(key: string, item: I): Promise<O> {
    return new Promise<O>((resolve, reject) => {
      let state = this.keys.get(key);
      if (!state) {
        state = { inFlight: 0 };
        this.keys.set(key, state);
      }
      const waiting = { item, resolve, reject };
      if (state.inFlight === 0 && !state.gathering) {
        this.send(key, state, [waiting]);
        return;
      }
      if (!state.gathering) {
        const gathering: Waiting<I, O>[] = [];
        state.gathering = gathering;
        const current = state;
        setImmediate(() => {
          if (current.gathering === gathering) current.gathering = undefined;
          const size = Math.min(this.maxBatch, gathering.length >= SPLIT_FROM ? Math.ceil(gathering.length / 2) : gathering.length);
          for (let start = 0; start < gathering.length; start += size) {
            this.send(key, current, gathering.slice(start, start + size));
          }
        });
      }
      state.gathering.push(waiting);
    });
  }

  private send(key: string, state: KeyState<I, O>, batch: Waiting<I, O>[]): void {
    state.inFlight += 1;
    // The key's bookkeeping is settled before the callers resume, so that a caller that calls
    // again at once finds the key idle and goes out at once, not an event-loop turn later.
    const done = () => {
      state.inFlight -= 1;
      if (state.inFlight === 0 && !state.gathering && this.keys.get(key) === state) this.keys.delete(key);
    };
    this.run(
      key,
      batch.map((w) => w.item),
    ).then(
      (outputs) => {
        done();
        batch.forEach((w, i) => w.resolve(outputs[i] as O));
      },
      (error: unknown) => {
        done();
        batch.forEach((w) => w.reject(error));
      },
    );
  }
}
