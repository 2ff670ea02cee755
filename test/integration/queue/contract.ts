/**
 * The queue contract (docs/queue.md) as a reusable suite: every backend runs the same cases.
 * Only the QueueBackend interface is used here; the factory gives each test a fresh, empty
 * queue with the settings it asks for, and cleans it up.
 *
 *   describeQueueContract('redis', async (settings) => ({ backend, queue, cleanup }));
 */
import { MessageTooLargeError, QueueCapabilityError, StaleReceiptError } from '../../../lib/queue/errors';
import type { Delivery, MessageBody, QueueBackend, QueueSettings, QueueStats } from '../../../lib/queue/types';

export interface ContractQueue {
  backend: QueueBackend;
  /** A queue name nobody else uses, empty at the start. */
  queue: string;
  /** Deletes the queue's data and closes what the factory opened. */
  cleanup(): Promise<void>;
}

/** Builds a queue with these settings (short timeouts so that the suite stays fast). */
export type ContractFactory = (settings: QueueSettings) => Promise<ContractQueue>;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
const DEFAULT_SETTINGS: QueueSettings = { visibilityTimeoutSeconds: 30, maxReceiveCount: 5, maxMessageBytes: 262_144 };

/**
 * Runs the whole contract against the backend that `factory` builds. What a backend declares it
 * cannot do (QueueBackend.capabilities) does not skip a case: the case then asserts the declared
 * behaviour, the weaker property every backend must meet.
 */
export function describeQueueContract(label: string, factory: ContractFactory): void {
  // Per-project testTimeout does not apply when jest runs several projects at once.
  jest.setTimeout(30_000);

  describe(`QueueBackend contract (${label})`, () => {
    let opened: ContractQueue[] = [];

    async function open(settings: Partial<QueueSettings> = {}): Promise<ContractQueue> {
      const made = await factory({ ...DEFAULT_SETTINGS, ...settings });
      opened.push(made);
      return made;
    }

    afterEach(async () => {
      jest.restoreAllMocks();
      const toClean = opened;
      opened = [];
      for (const made of toClean) await made.cleanup();
    });

    /** The oldest-age figure is exactly `seconds` when the backend reports it, and null otherwise. */
    function expectOldestAge(backend: QueueBackend, stats: QueueStats, seconds: number): void {
      expect(stats.oldestAgeSeconds).toBe(backend.capabilities.reportsOldestAge ? seconds : null);
    }

    /** The bodies' `n` fields: in delivery order where redelivery keeps order, sorted otherwise. */
    function redeliveredOrder(backend: QueueBackend, deliveries: Delivery[]): unknown[] {
      const ns = deliveries.map((d) => JSON.parse(d.body).n as unknown);
      return backend.capabilities.orderedRedelivery ? ns : ns.sort((a, b) => Number(a) - Number(b));
    }

    async function popBody(backend: QueueBackend, queue: string): Promise<MessageBody | undefined> {
      const result = await backend.popAtomic(queue, async (body) => body);
      return result.status === 'done' ? result.value : undefined;
    }

    it('should deliver messages in the order they were pushed', async () => {
      const { backend, queue } = await open();
      for (let n = 1; n <= 5; n += 1) await backend.push(queue, { n: String(n) });
      await backend.pushBatch(queue, [{ n: '6' }, { n: '7' }]);

      const seen: unknown[] = [];
      for (let n = 1; n <= 7; n += 1) seen.push((await popBody(backend, queue))?.n);

      expect(seen).toEqual(['1', '2', '3', '4', '5', '6', '7']);
    });

    it('should remove a message once popAtomic callback succeeds', async () => {
      const { backend, queue } = await open();
      await backend.push(queue, { order_id: '42.1' });

      const result = await backend.popAtomic(queue, async (body) => `handled ${String(body.order_id)}`);

      expect(result).toMatchObject({ status: 'done', value: 'handled 42.1' });
      expect(await backend.popAtomic(queue, async () => 'again')).toEqual({ status: 'empty' });
      expect(await backend.stats(queue)).toMatchObject({ ready: 0, inFlight: 0, delayed: 0, dead: 0 });
    });

    it('should keep the message in the queue when the popAtomic callback throws', async () => {
      const { backend, queue } = await open();
      await backend.push(queue, { order_id: '7.1' });
      const failure = new Error('handler failed');

      await expect(backend.popAtomic(queue, async () => { throw failure; })).rejects.toBe(failure);

      const retry = await backend.popAtomic(queue, async (body, delivery) => ({ body, delivery }));
      expect(retry.status).toBe('done');
      if (retry.status !== 'done') return;
      expect(retry.value.body.order_id).toBe('7.1');
      expect(retry.value.delivery.receiveCount).toBe(2);
    });

    it('should not run the callback on an empty queue', async () => {
      const { backend, queue } = await open();
      const callback = jest.fn(async () => 'never');

      const result = await backend.popAtomic(queue, callback);

      expect(result).toEqual({ status: 'empty' });
      expect(callback).not.toHaveBeenCalled();
      expect(await backend.lease(queue, { max: 10 })).toEqual([]);
    });

    it('should deliver a message again once its lease runs out, with a higher receive count', async () => {
      const { backend, queue } = await open({ visibilityTimeoutSeconds: 1 });
      await backend.push(queue, { n: '1' });
      const [first] = await backend.lease(queue);

      expect(await backend.lease(queue)).toEqual([]);
      await sleep(1300);
      const [second] = await backend.lease(queue);

      expect(second).toBeDefined();
      expect(second!.id).toBe(first!.id);
      expect(second!.receiveCount).toBe(first!.receiveCount + 1);
      expect(second!.receipt).not.toBe(first!.receipt);
    });

    it('should reject a stale receipt after redelivery and after an ack', async () => {
      const { backend, queue } = await open({ visibilityTimeoutSeconds: 1 });
      await backend.push(queue, { n: '1' });
      const [first] = await backend.lease(queue);
      await sleep(1300);
      const [second] = await backend.lease(queue);

      await expect(backend.ack(queue, first!.receipt)).rejects.toBeInstanceOf(StaleReceiptError);
      await expect(backend.release(queue, first!.receipt)).rejects.toBeInstanceOf(StaleReceiptError);
      await expect(backend.extend(queue, first!.receipt, 10)).rejects.toBeInstanceOf(StaleReceiptError);
      await backend.ack(queue, second!.receipt);
      await expect(backend.ack(queue, second!.receipt)).rejects.toBeInstanceOf(StaleReceiptError);
      expect(await backend.stats(queue)).toMatchObject({ ready: 0, inFlight: 0 });
    });

    it('should dead-letter a message delivered maxReceiveCount times instead of delivering it again', async () => {
      const { backend, queue } = await open({ maxReceiveCount: 2 });
      await backend.push(queue, { order_id: 'poison' });
      await backend.push(queue, { order_id: 'fine' });
      const poisonReceiveCounts: number[] = [];
      const handled: unknown[] = [];

      // A consumer that crashes on the poison message, run until the queue reports empty (in
      // whatever order the backend redelivers; bounded so that a backend that never dead-letters fails).
      for (let call = 0; call < 6; call += 1) {
        const result = await backend
          .popAtomic(queue, async (body, delivery) => {
            if (body.order_id !== 'poison') return body.order_id;
            poisonReceiveCounts.push(delivery.receiveCount);
            throw new Error('crash');
          })
          .catch((error: unknown) => {
            expect(error).toEqual(new Error('crash'));
            return undefined;
          });
        if (result?.status === 'empty') break;
        if (result?.status === 'done') handled.push(result.value);
      }

      expect(poisonReceiveCounts).toEqual([1, 2]);
      expect(handled).toEqual(['fine']);
      const dead = await backend.readDeadLetters(queue, 10);
      expect(dead).toHaveLength(1);
      expect(JSON.parse(dead[0]!.body).order_id).toBe('poison');
      expect(dead[0]!.receiveCount).toBe(2);
      expect(await backend.stats(queue)).toMatchObject({ ready: 0, inFlight: 0, dead: 1 });
    });

    it('should dead-letter a message whose leases keep running out', async () => {
      const { backend, queue } = await open({ visibilityTimeoutSeconds: 1, maxReceiveCount: 1 });
      await backend.push(queue, { order_id: 'stuck' });
      await backend.lease(queue);
      await sleep(1300);

      expect(await backend.lease(queue)).toEqual([]);
      expect((await backend.stats(queue)).dead).toBe(1);
    });

    it('should read dead letters without removing them, and delete them by id', async () => {
      const { backend, queue } = await open({ maxReceiveCount: 1 });
      await backend.pushBatch(queue, [{ n: '1' }, { n: '2' }]);
      const leased = await backend.lease(queue, { max: 2 });
      for (const delivery of leased) await backend.release(queue, delivery.receipt);
      expect(await backend.lease(queue)).toEqual([]);

      const firstRead = await backend.readDeadLetters(queue, 10);
      const secondRead = await backend.readDeadLetters(queue, 10);
      const deleted = await backend.deleteDeadLetters(queue, [...firstRead.map((d) => d.id), 'unknown-id']);

      expect(firstRead.map((d) => JSON.parse(d.body).n).sort()).toEqual(['1', '2']);
      expect(secondRead).toEqual(firstRead);
      expect(deleted).toBe(2);
      expect(await backend.readDeadLetters(queue, 10)).toEqual([]);
    });

    it('should redrive dead letters back to the queue with a fresh receive count, rate-limited', async () => {
      const { backend, queue } = await open({ maxReceiveCount: 1 });
      await backend.pushBatch(queue, [{ n: '1' }, { n: '2' }, { n: '3' }]);
      for (const delivery of await backend.lease(queue, { max: 3 })) await backend.release(queue, delivery.receipt);
      expect(await backend.lease(queue)).toEqual([]);

      const started = process.hrtime.bigint();
      const moved = await backend.redriveDeadLetters(queue, { max: 2, perSecond: 2 });
      const elapsedMs = Number(process.hrtime.bigint() - started) / 1e6;

      expect(moved).toBe(2);
      expect(elapsedMs).toBeGreaterThanOrEqual(400);
      expect((await backend.stats(queue)).dead).toBe(1);
      const redriven = await backend.lease(queue, { max: 5 });
      expect(redriven).toHaveLength(2);
      expect(redriven.map((d) => d.receiveCount)).toEqual([1, 1]);
    });

    it('should lease a batch in order and ack it in one call, reporting stale receipts', async () => {
      const { backend, queue } = await open();
      await backend.pushBatch(queue, ['a', 'b', 'c', 'd', 'e'].map((n) => ({ n })));

      const batch = await backend.lease(queue, { max: 3 });
      const stale = await backend.ackBatch(queue, [...batch.map((d) => d.receipt)]);
      const staleAgain = await backend.ackBatch(queue, [batch[0]!.receipt]);

      expect(batch.map((d) => JSON.parse(d.body).n)).toEqual(['a', 'b', 'c']);
      expect(stale).toEqual([]);
      expect(staleAgain).toEqual([batch[0]!.receipt]);
      expect(await backend.stats(queue)).toMatchObject({ ready: 2, inFlight: 0 });
    });

    it('should ack piggybacked receipts in the same lease call', async () => {
      const { backend, queue } = await open();
      await backend.pushBatch(queue, [{ n: '1' }, { n: '2' }]);
      const [first] = await backend.lease(queue);

      const [second] = await backend.lease(queue, { ack: [first!.receipt] });

      expect(JSON.parse(second!.body).n).toBe('2');
      await expect(backend.ack(queue, first!.receipt)).rejects.toBeInstanceOf(StaleReceiptError);
      expect(await backend.stats(queue)).toMatchObject({ ready: 0, inFlight: 1 });
    });

    it('should ack the successes of popAtomicBatch and keep the failed ids in the queue', async () => {
      const { backend, queue } = await open();
      await backend.pushBatch(queue, ['1', '2', '3', '4'].map((n) => ({ n })));
      let seen: Delivery[] = [];

      const result = await backend.popAtomicBatch(queue, 10, async (deliveries) => {
        seen = deliveries;
        return { failedIds: [deliveries[1]!.id] };
      });
      const [retry] = await backend.lease(queue, { max: 10 });

      expect(result).toEqual({ leased: 4, acked: 3, failed: 1 });
      expect(seen.map((d) => JSON.parse(d.body).n)).toEqual(['1', '2', '3', '4']);
      expect(retry!.id).toBe(seen[1]!.id);
      expect(retry!.receiveCount).toBe(2);
    });

    it('should release the whole batch when the popAtomicBatch callback throws, and skip an empty queue', async () => {
      const { backend, queue } = await open();
      const callback = jest.fn(async () => ({ failedIds: [] }));
      expect(await backend.popAtomicBatch(queue, 5, callback)).toEqual({ leased: 0, acked: 0, failed: 0 });
      expect(callback).not.toHaveBeenCalled();
      await backend.pushBatch(queue, [{ n: '1' }, { n: '2' }]);

      await expect(backend.popAtomicBatch(queue, 5, async () => { throw new Error('batch failed'); })).rejects.toThrow('batch failed');

      expect(await backend.stats(queue)).toMatchObject({ ready: 2, inFlight: 0 });
      const redelivered = await backend.lease(queue, { max: 5 });
      expect(redeliveredOrder(backend, redelivered)).toEqual(['1', '2']);
      expect(redelivered.map((d) => d.receiveCount)).toEqual([2, 2]);
    });

    it('should consume batch after batch in order until the queue is empty, leaving nothing in flight', async () => {
      const { backend, queue } = await open();
      await backend.pushBatch(queue, Array.from({ length: 25 }, (_, n) => ({ n })));
      const seen: number[] = [];

      const result = await backend.consumeBatches(queue, () => 10, async (deliveries) => {
        seen.push(...deliveries.map((d) => Number(JSON.parse(d.body).n)));
        return { failedIds: [] };
      });

      expect(result).toEqual({ leased: 25, acked: 25, failed: 0, batches: 3, stoppedBecause: 'empty' });
      expect(seen).toEqual(Array.from({ length: 25 }, (_, n) => n));
      expect(await backend.stats(queue)).toMatchObject({ ready: 0, inFlight: 0 });
    });

    it('should stop consuming batches when next asks for none, with the last batch acked before it resolves', async () => {
      const { backend, queue } = await open();
      await backend.pushBatch(queue, Array.from({ length: 10 }, (_, n) => ({ n })));
      const asks = [4, 3, 0];

      const result = await backend.consumeBatches(queue, () => asks.shift() ?? 0, async () => ({ failedIds: [] }));
      const rest = await backend.lease(queue, { max: 10 });

      expect(result).toEqual({ leased: 7, acked: 7, failed: 0, batches: 2, stoppedBecause: 'stopped' });
      expect(redeliveredOrder(backend, rest)).toEqual([7, 8, 9]);
      expect(rest.map((d) => d.receiveCount)).toEqual([1, 1, 1]);
    });

    it('should give back the failed messages of a batch and the batch leased ahead, and stop when the callback says so', async () => {
      const { backend, queue } = await open();
      await backend.pushBatch(queue, Array.from({ length: 6 }, (_, n) => ({ n })));
      const callback = jest.fn(async (deliveries: Delivery[]) => ({ failedIds: [deliveries[2]!.id, deliveries[3]!.id], stop: true }));

      const result = await backend.consumeBatches(queue, () => 4, callback);
      const rest = await backend.lease(queue, { max: 10 });

      expect(callback).toHaveBeenCalledTimes(1);
      expect(result).toEqual({ leased: 4, acked: 2, failed: 2, batches: 1, stoppedBecause: 'stopped' });
      expect(redeliveredOrder(backend, rest)).toEqual([2, 3, 4, 5]);
      // 4 and 5 were leased ahead while the first batch was handled, then given back unhandled
      const ahead = backend.capabilities.leaseAheadUncounted ? 1 : 2;
      expect(Object.fromEntries(rest.map((d) => [JSON.parse(d.body).n, d.receiveCount]))).toEqual({ 2: 2, 3: 2, 4: ahead, 5: ahead });
    });

    it('should give back a batch the callback reports unhandled, and the batch leased ahead, as never delivered, and stop', async () => {
      const { backend, queue } = await open();
      await backend.pushBatch(queue, Array.from({ length: 9 }, (_, n) => ({ n })));
      let batch = 0;

      const result = await backend.consumeBatches(queue, () => 3, async () => {
        batch += 1;
        return batch === 2 ? { failedIds: [], unhandled: true } : { failedIds: [] };
      });
      const rest = await backend.lease(queue, { max: 10 });

      expect(result).toEqual({ leased: 3, acked: 3, failed: 0, batches: 1, stoppedBecause: 'stopped' });
      expect(redeliveredOrder(backend, rest)).toEqual([3, 4, 5, 6, 7, 8]);
      // 3–5 were handed over and not started, 6–8 leased ahead: where the backend can, neither lease counted
      const uncounted = backend.capabilities.leaseAheadUncounted ? 1 : 2;
      expect(rest.map((d) => d.receiveCount)).toEqual([uncounted, uncounted, uncounted, uncounted, uncounted, uncounted]);
    });

    it('should give back the failed messages of a batch uncounted when the callback says their failure was not theirs', async () => {
      const { backend, queue } = await open();
      await backend.pushBatch(queue, Array.from({ length: 6 }, (_, n) => ({ n })));

      const result = await backend.consumeBatches(queue, () => 4, async (deliveries) => ({
        failedIds: deliveries.slice(1).map((d) => d.id),
        stop: true,
        uncounted: true,
      }));
      const rest = await backend.lease(queue, { max: 10 });

      expect(result).toEqual({ leased: 4, acked: 1, failed: 3, batches: 1, stoppedBecause: 'stopped' });
      expect(redeliveredOrder(backend, rest)).toEqual([1, 2, 3, 4, 5]);
      // 1–3 were handed over and failed, 4 and 5 leased ahead: where the backend can, no lease counted
      const uncounted = backend.capabilities.leaseAheadUncounted ? 1 : 2;
      expect(rest.map((d) => d.receiveCount)).toEqual([uncounted, uncounted, uncounted, uncounted, uncounted]);
    });

    it('should give back a whole batch whose callback throws and the batch leased ahead, after acking the batch before it', async () => {
      const { backend, queue } = await open();
      await backend.pushBatch(queue, Array.from({ length: 9 }, (_, n) => ({ n })));
      let batch = 0;

      const run = backend.consumeBatches(queue, () => 3, async () => {
        batch += 1;
        if (batch === 2) throw new Error('handler failed');
        return { failedIds: [] };
      });

      await expect(run).rejects.toThrow('handler failed');
      const rest = await backend.lease(queue, { max: 10 });
      expect(redeliveredOrder(backend, rest)).toEqual([3, 4, 5, 6, 7, 8]);
      const ahead = backend.capabilities.leaseAheadUncounted ? 1 : 2;
      expect(Object.fromEntries(rest.map((d) => [JSON.parse(d.body).n, d.receiveCount]))).toEqual({ 3: 2, 4: 2, 5: 2, 6: ahead, 7: ahead, 8: ahead });
    });

    it('should ack the batch before a short batch whose callback throws', async () => {
      const { backend, queue } = await open();
      await backend.pushBatch(queue, Array.from({ length: 5 }, (_, n) => ({ n })));
      let batch = 0;

      const run = backend.consumeBatches(queue, () => 3, async () => {
        batch += 1;
        if (batch === 2) throw new Error('handler failed');
        return { failedIds: [] };
      });

      await expect(run).rejects.toThrow('handler failed');
      expect(await backend.stats(queue)).toMatchObject({ ready: 2, inFlight: 0 });
      const rest = await backend.lease(queue, { max: 10 });
      expect(redeliveredOrder(backend, rest)).toEqual([3, 4]);
      expect(rest.map((d) => d.receiveCount)).toEqual([2, 2]);
    });

    it('should lease the next batch before handing over a full one, telling next what is leased and not yet handled and preparing what arrives', async () => {
      const { backend, queue } = await open();
      await backend.pushBatch(queue, Array.from({ length: 7 }, (_, n) => ({ n })));
      const events: string[] = [];

      const result = await backend.consumeBatches(
        queue,
        (inFlight) => {
          events.push(`next(${inFlight})`);
          return 3;
        },
        async (deliveries) => {
          events.push(`handle ${redeliveredOrder(backend, deliveries).join(',')}`);
          return { failedIds: [] };
        },
        { prepare: (deliveries) => events.push(`prepare ${redeliveredOrder(backend, deliveries).join(',')}`) },
      );

      expect(result).toEqual({ leased: 7, acked: 7, failed: 0, batches: 3, stoppedBecause: 'empty' });
      // Each batch leased ahead is prepared when it arrives, before its turn; a short batch (the
      // last one) leases nothing ahead: the queue had no more.
      expect(events).toEqual(['next(0)', 'next(3)', 'handle 0,1,2', 'prepare 3,4,5', 'next(3)', 'handle 3,4,5', 'prepare 6', 'handle 6', 'next(0)']);
      expect(await backend.stats(queue)).toMatchObject({ ready: 0, inFlight: 0 });
    });

    it('should lease no more once next answers 0 ahead, and stop after the batch in hand', async () => {
      const { backend, queue } = await open();
      await backend.pushBatch(queue, Array.from({ length: 10 }, (_, n) => ({ n })));
      const limit = 5;
      let done = 0;

      const result = await backend.consumeBatches(
        queue,
        (inFlight) => Math.max(0, Math.min(3, limit - done - inFlight)),
        async (deliveries) => {
          done += deliveries.length;
          return { failedIds: [] };
        },
      );
      const rest = await backend.lease(queue, { max: 10 });

      expect(result).toEqual({ leased: 5, acked: 5, failed: 0, batches: 2, stoppedBecause: 'stopped' });
      expect(redeliveredOrder(backend, rest)).toEqual([5, 6, 7, 8, 9]);
      expect(rest.map((d) => d.receiveCount)).toEqual([1, 1, 1, 1, 1]);
    });

    it('should give back the batch leased ahead when a callback reports failed ids, so that the released message is delivered before it', async () => {
      const { backend, queue } = await open();
      await backend.pushBatch(queue, Array.from({ length: 6 }, (_, n) => ({ n })));
      const handed: Delivery[][] = [];

      const result = await backend.consumeBatches(queue, () => 3, async (deliveries) => {
        handed.push(deliveries);
        return { failedIds: handed.length === 1 ? [deliveries[1]!.id] : [] };
      });

      expect(result).toMatchObject({ acked: 6, failed: 1, stoppedBecause: 'empty' });
      const after = handed.slice(1).flat();
      expect(redeliveredOrder(backend, after)).toEqual([1, 3, 4, 5]);
      const counts = Object.fromEntries(after.map((d) => [JSON.parse(d.body).n, d.receiveCount]));
      const ahead = backend.capabilities.leaseAheadUncounted ? 1 : 2;
      expect(counts).toEqual({ 1: 2, 3: ahead, 4: ahead, 5: ahead });
    });

    it('should keep a lease alive when it is extended', async () => {
      const { backend, queue } = await open({ visibilityTimeoutSeconds: 1 });
      await backend.push(queue, { n: '1' });
      const [delivery] = await backend.lease(queue);

      await backend.extend(queue, delivery!.receipt, 10);
      await sleep(1300);

      expect(await backend.lease(queue)).toEqual([]);
      await backend.ack(queue, delivery!.receipt);
      expect(await backend.stats(queue)).toMatchObject({ ready: 0, inFlight: 0 });
    });

    it('should make a released message visible again at once (at the front where redelivery is ordered)', async () => {
      const { backend, queue } = await open();
      await backend.pushBatch(queue, [{ n: '1' }, { n: '2' }, { n: '3' }]);
      const [first] = await backend.lease(queue);

      await backend.release(queue, first!.receipt);
      const again = await backend.lease(queue, { max: 5 });

      expect(redeliveredOrder(backend, again)).toEqual(['1', '2', '3']);
      expect(again.find((d) => d.id === first!.id)?.receiveCount).toBe(2);
      expect(again.filter((d) => d.id !== first!.id).map((d) => d.receiveCount)).toEqual([1, 1]);
    });

    it('should hide a message released with a delay until the delay has passed', async () => {
      const { backend, queue } = await open();
      await backend.push(queue, { n: '1' });
      const [first] = await backend.lease(queue);

      await backend.release(queue, first!.receipt, 1);
      const during = await backend.lease(queue);
      await sleep(1300);
      const [after] = await backend.lease(queue);

      expect(during).toEqual([]);
      expect(after!.id).toBe(first!.id);
    });

    it('should hide a message pushed with a delay until the delay has passed', async () => {
      const { backend, queue } = await open();
      await backend.push(queue, { n: 'later' }, { delaySeconds: 1 });

      const during = await backend.lease(queue);
      await sleep(1300);
      const after = await popBody(backend, queue);

      expect(during).toEqual([]);
      expect(after?.n).toBe('later');
    });

    it('should report ready, in-flight, delayed and dead counts and the oldest age (null when not reported)', async () => {
      const { backend, queue } = await open();
      expect(await backend.stats(queue)).toEqual({ ready: 0, inFlight: 0, delayed: 0, dead: 0, oldestAgeSeconds: null });
      await backend.pushBatch(queue, [{ n: '1' }, { n: '2' }, { n: '3' }]);
      await backend.push(queue, { n: '4' }, { delaySeconds: 60 });
      await backend.lease(queue);

      const stats = await backend.stats(queue);

      expect(stats).toMatchObject({ ready: 2, inFlight: 1, delayed: 1, dead: 0 });
      expectOldestAge(backend, stats, 0);
    });

    it('should peek at the front without leasing, where the backend can peek', async () => {
      const { backend, queue } = await open();
      if (!backend.capabilities.peek) return; // asserted by the case below
      await backend.pushBatch(queue, [{ n: '1' }, { n: '2' }, { n: '3' }]);

      const peeked = await backend.peek(queue, 2);

      expect(peeked.map((body) => JSON.parse(body).n)).toEqual(['1', '2']);
      expect((await backend.stats(queue)).ready).toBe(3);
    });

    it('should delete everything on purge', async () => {
      const { backend, queue } = await open({ maxReceiveCount: 1 });
      await backend.pushBatch(queue, [{ n: '1' }, { n: '2' }, { n: '3' }]);
      await backend.push(queue, { n: '4' }, { delaySeconds: 60 });
      const [dying] = await backend.lease(queue);
      await backend.release(queue, dying!.receipt);
      await backend.lease(queue);

      await backend.purge(queue);

      expect(await backend.stats(queue)).toEqual({ ready: 0, inFlight: 0, delayed: 0, dead: 0, oldestAgeSeconds: null });
    });

    it('should carry Unicode and bodies up to the maximum size unchanged', async () => {
      const { backend, queue } = await open({ maxMessageBytes: 64 * 1024 });
      const unicode = { first_name: 'Zoë Ŝtraße', city: '東京', note: 'emoji 🎗️ and "quotes" \\ back|slash\nnewline' };
      // 1 KiB of room for the source fields the queue adds
      const large = { blob: 'é'.repeat((63 * 1024) / 2) };
      await backend.push(queue, unicode);
      await backend.push(queue, large);

      const first = await popBody(backend, queue);
      const second = await popBody(backend, queue);

      expect(first).toMatchObject(unicode);
      expect(second?.blob).toBe(large.blob);
    });

    it('should refuse a message bigger than the maximum size with MessageTooLargeError and store nothing of its push', async () => {
      const { backend, queue } = await open({ maxMessageBytes: 64 * 1024 });
      const tooLarge = { blob: 'é'.repeat((64 * 1024) / 2) };

      const single = backend.push(queue, tooLarge);
      const batch = backend.pushBatch(queue, [{ n: '1' }, tooLarge, { n: '3' }]);

      await expect(single).rejects.toBeInstanceOf(MessageTooLargeError);
      await expect(batch).rejects.toMatchObject({ name: 'MessageTooLargeError', maxBytes: 64 * 1024 });
      expect(await backend.stats(queue)).toMatchObject({ ready: 0, inFlight: 0, delayed: 0 });
    });

    it('should deliver messages pushed in one batch with a delay in push order once they fall due', async () => {
      const { backend, queue } = await open();
      const ns = Array.from({ length: 12 }, (_, i) => String(i + 1));
      await backend.pushBatch(queue, ns.map((n) => ({ n })), { delaySeconds: 1 });
      await sleep(1200);

      const leased = await backend.lease(queue, { max: 12 });

      expect(redeliveredOrder(backend, leased)).toEqual(ns);
    });

    it('should keep the order of messages released one after the other with the same delay', async () => {
      const { backend, queue } = await open();
      const ns = Array.from({ length: 12 }, (_, i) => String(i + 1));
      await backend.pushBatch(queue, ns.map((n) => ({ n })));
      const leased = await backend.lease(queue, { max: 12 });
      await Promise.all(leased.map((delivery) => backend.release(queue, delivery.receipt, 1)));
      await sleep(1200);

      const again = await backend.lease(queue, { max: 12 });

      expect(redeliveredOrder(backend, again)).toEqual(ns);
    });

    it('should deliver a delayed message that fell due before messages pushed after it fell due', async () => {
      const { backend, queue } = await open();
      await backend.push(queue, { n: '1' }, { delaySeconds: 1 });
      await sleep(1200);
      await backend.push(queue, { n: '2' });

      const leased = await backend.lease(queue, { max: 2 });

      expect(redeliveredOrder(backend, leased)).toEqual(['1', '2']);
    });

    it('should redeliver many expired leases in their original order, ahead of newer messages', async () => {
      const { backend, queue } = await open({ visibilityTimeoutSeconds: 1 });
      const ns = Array.from({ length: 300 }, (_, i) => String(i + 1));
      await backend.pushBatch(queue, ns.map((n) => ({ n })));
      const first: Delivery[] = [];
      while (first.length < 300) first.push(...(await backend.lease(queue, { max: 10 })));
      await sleep(1300);
      await backend.push(queue, { n: '301' });

      const again: Delivery[] = [];
      for (;;) {
        const leased = await backend.lease(queue, { max: 10 });
        if (leased.length === 0) break;
        again.push(...leased);
      }

      expect(redeliveredOrder(backend, again)).toEqual(backend.capabilities.orderedRedelivery ? [...ns, '301'] : [...ns, '301'].sort((a, b) => Number(a) - Number(b)));
      expect(again.every((d) => d.receiveCount === (JSON.parse(d.body).n === '301' ? 1 : 2))).toBe(true);
    });

    /** A consumer loop as the runners do it: lease, else wait; the first delivery and when it came. */
    async function firstDelivery(backend: QueueBackend, queue: string, timeoutMs: number): Promise<{ delivery?: Delivery; at: number }> {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const [delivery] = await backend.lease(queue);
        if (delivery || Date.now() >= deadline) return { delivery, at: Date.now() };
        await backend.waitForMessage(queue, deadline - Date.now());
      }
    }

    it('should wake a waiting consumer when a delayed push made during the wait falls due', async () => {
      const { backend, queue } = await open();
      const consuming = firstDelivery(backend, queue, 8000);
      await sleep(100);
      const pushedAt = Date.now();
      await backend.push(queue, { n: '1' }, { delaySeconds: 1 });

      const { delivery, at } = await consuming;

      expect(delivery && JSON.parse(delivery.body).n).toBe('1');
      expect(at - pushedAt).toBeGreaterThanOrEqual(950);
      expect(at - pushedAt).toBeLessThan(3000);
    });

    it('should wake a waiting consumer when a delayed release made during the wait falls due', async () => {
      const { backend, queue } = await open();
      await backend.push(queue, { n: '1' });
      const [leased] = await backend.lease(queue);
      const consuming = firstDelivery(backend, queue, 8000);
      await sleep(100);
      const releasedAt = Date.now();
      await backend.release(queue, leased!.receipt, 1);

      const { delivery, at } = await consuming;

      expect(delivery && JSON.parse(delivery.body).n).toBe('1');
      expect(at - releasedAt).toBeGreaterThanOrEqual(950);
      expect(at - releasedAt).toBeLessThan(3000);
    });

    it('should report the exact age of the oldest message whether it is ready, in flight under a long lease, or delayed', async () => {
      const { backend, queue } = await open();
      await backend.push(queue, { n: 'old' });
      await sleep(2100);
      await backend.push(queue, { n: 'new' });
      const [old] = await backend.lease(queue, { visibilityTimeoutSeconds: 60 });
      await backend.lease(queue, { visibilityTimeoutSeconds: 5 });
      const whileLeased = await backend.stats(queue);
      await backend.release(queue, old!.receipt, 60);
      const whileDelayed = await backend.stats(queue);

      expect(JSON.parse(old!.body).n).toBe('old');
      expectOldestAge(backend, whileLeased, 2);
      expectOldestAge(backend, whileDelayed, 2);
      expect(whileDelayed).toMatchObject(backend.capabilities.delayedReleaseCountsAsDelayed ? { inFlight: 1, delayed: 1 } : { inFlight: 2, delayed: 0 });
    });

    it('should store a message pushed again under the same idempotency key once where pushes are idempotent, and every push otherwise', async () => {
      const { backend, queue } = await open();
      const idempotencyKey = (message: MessageBody) => `legacy:${String(message.n)}`;
      await backend.pushBatch(queue, [{ n: '1' }, { n: '2' }, { n: '1' }], { idempotencyKey });
      await backend.push(queue, { n: '2' }, { idempotencyKey });
      await backend.push(queue, { n: '2' });

      const seen: unknown[] = [];
      for (let body = await popBody(backend, queue); body; body = await popBody(backend, queue)) seen.push(body.n);

      expect(seen.sort()).toEqual(backend.capabilities.idempotentPush ? ['1', '2', '2'] : ['1', '1', '2', '2', '2']);
    });

    it('should report the exact age of an old message redriven from the dead letters', async () => {
      const { backend, queue } = await open({ maxReceiveCount: 1 });
      await backend.push(queue, { n: 'old' });
      await sleep(2100);
      const [first] = await backend.lease(queue);
      await backend.release(queue, first!.receipt);
      await backend.lease(queue); // delivered once already: dead-lettered instead
      await backend.push(queue, { n: 'new' });

      const moved = await backend.redriveDeadLetters(queue, { max: 10, perSecond: 1000 });
      const stats = await backend.stats(queue);

      expect(moved).toBe(1);
      expectOldestAge(backend, stats, 2);
    });

    it('should peek without counting a delivery, or refuse to peek where the backend cannot', async () => {
      const { backend, queue } = await open({ maxReceiveCount: 2 });
      await backend.push(queue, { n: '1' });

      for (let i = 0; i < 3; i += 1) {
        if (backend.capabilities.peek) await backend.peek(queue, 1);
        else await expect(backend.peek(queue, 1)).rejects.toBeInstanceOf(QueueCapabilityError);
      }
      const [leased] = await backend.lease(queue);

      expect(leased?.receiveCount).toBe(1);
      expect((await backend.stats(queue)).dead).toBe(0);
    });

    it('should stamp the source fields and keep those the message already has', async () => {
      const { backend, queue } = await open();
      const beforeSeconds = Math.floor(Date.now() / 1000);
      await backend.push(queue, { order_id: '1' });
      await backend.push(queue, { order_id: '2', source_enqueued_time: 1700000000, source_type: 'audit' }, { sourceType: 'payments' });
      await backend.push(queue, { order_id: '3' }, { sourceType: 'listener' });

      const fresh = await popBody(backend, queue);
      const requeued = await popBody(backend, queue);
      const listener = await popBody(backend, queue);

      expect(fresh).toMatchObject({ source_type: 'direct', source_run_id: process.pid });
      expect(typeof fresh?.source_name).toBe('string');
      expect(typeof fresh?.source_host).toBe('string');
      expect(typeof fresh?.source_version).toBe('string');
      expect(Math.abs(Number(fresh?.source_enqueued_time) - beforeSeconds)).toBeLessThanOrEqual(5);
      expect(requeued).toMatchObject({ source_enqueued_time: 1700000000, source_type: 'audit' });
      expect(listener?.source_type).toBe('listener');
    });

    it.each([
      ['ahead', 10 * 60 * 1000],
      ['behind', -10 * 60 * 1000],
    ])('should behave the same with the client clock 10 minutes %s', async (_label, skewMs) => {
      const { backend, queue } = await open({ visibilityTimeoutSeconds: 1 });
      const realNow = Date.now.bind(Date);
      const realSeconds = Math.floor(realNow() / 1000);
      jest.spyOn(Date, 'now').mockImplementation(() => realNow() + skewMs);

      await backend.push(queue, { n: '1' });
      await backend.push(queue, { n: '2' }, { delaySeconds: 1 });
      const [leased] = await backend.lease(queue);
      const whileLeased = await backend.lease(queue);
      const stats = await backend.stats(queue);
      await sleep(1300);
      const afterExpiry = await backend.lease(queue, { max: 5 });

      expect(Math.abs(JSON.parse(leased!.body).source_enqueued_time - realSeconds)).toBeLessThanOrEqual(5);
      expect(Math.abs(leased!.enqueuedAt - realSeconds * 1000)).toBeLessThan(5000);
      expect(whileLeased).toEqual([]);
      expect(stats).toMatchObject({ ready: 0, inFlight: 1, delayed: 1 });
      expectOldestAge(backend, stats, 0);
      expect(afterExpiry.map((d) => JSON.parse(d.body).n).sort()).toEqual(['1', '2']);
    });
  });
}
