/**
 * The queue contract (ARCHITECTURE §3) as a reusable suite: every backend runs the same cases.
 * Only the QueueBackend interface is used here; the factory gives each test a fresh, empty
 * queue with the settings it asks for, and cleans it up.
 *
 *   describeQueueContract('redis', async (settings) => ({ backend, queue, cleanup }));
 */
import { StaleReceiptError } from '../../../lib/queue/errors';
import type { Delivery, MessageBody, QueueBackend, QueueSettings } from '../../../lib/queue/types';

export interface ContractQueue {
  backend: QueueBackend;
  /** A queue name nobody else uses, empty at the start. */
  queue: string;
  /** Deletes the queue's data and closes what the factory opened. */
  cleanup(): Promise<void>;
}

export interface ContractOptions {
  /** Largest body the backend accepts (SQS: 256 KiB). 1 MiB by default. */
  maxBodyBytes?: number;
}

/** Builds a queue with these settings (short timeouts so that the suite stays fast). */
export type ContractFactory = (settings: QueueSettings) => Promise<ContractQueue>;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
const DEFAULT_SETTINGS: QueueSettings = { visibilityTimeoutSeconds: 30, maxReceiveCount: 5 };

/** Runs the whole contract against the backend that `factory` builds. */
export function describeQueueContract(label: string, factory: ContractFactory, options: ContractOptions = {}): void {
  const maxBodyBytes = options.maxBodyBytes ?? 1024 * 1024;
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

      for (let attempt = 1; attempt <= 2; attempt += 1) {
        await expect(backend.popAtomic(queue, async () => { throw new Error(`crash ${attempt}`); })).rejects.toThrow('crash');
      }
      const next = await popBody(backend, queue);

      expect(next?.order_id).toBe('fine');
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
      expect((await backend.lease(queue, { max: 5 })).map((d) => JSON.parse(d.body).n)).toEqual(['1', '2']);
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

    it('should put a released message back at the front at once', async () => {
      const { backend, queue } = await open();
      await backend.pushBatch(queue, [{ n: '1' }, { n: '2' }]);
      const [first] = await backend.lease(queue);

      await backend.release(queue, first!.receipt);
      const [again] = await backend.lease(queue);

      expect(again!.id).toBe(first!.id);
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

    it('should report ready, in-flight, delayed and dead counts and the oldest age', async () => {
      const { backend, queue } = await open();
      expect(await backend.stats(queue)).toEqual({ ready: 0, inFlight: 0, delayed: 0, dead: 0, oldestAgeSeconds: null });
      await backend.pushBatch(queue, [{ n: '1' }, { n: '2' }, { n: '3' }]);
      await backend.push(queue, { n: '4' }, { delaySeconds: 60 });
      await backend.lease(queue);

      const stats = await backend.stats(queue);

      expect(stats).toMatchObject({ ready: 2, inFlight: 1, delayed: 1, dead: 0 });
      expect(stats.oldestAgeSeconds).toBeGreaterThanOrEqual(0);
      expect(stats.oldestAgeSeconds).toBeLessThan(60);
    });

    it('should peek at the front without leasing', async () => {
      const { backend, queue } = await open();
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

    it('should carry Unicode and large bodies unchanged', async () => {
      const { backend, queue } = await open();
      const unicode = { first_name: 'Zoë Ŝtraße', city: '東京', note: 'emoji 🎗️ and "quotes" \\ back|slash\nnewline' };
      const large = { blob: 'x'.repeat(maxBodyBytes - 1024) };
      await backend.push(queue, unicode);
      await backend.push(queue, large);

      const first = await popBody(backend, queue);
      const second = await popBody(backend, queue);

      expect(first).toMatchObject(unicode);
      expect(second?.blob).toBe(large.blob);
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
      expect(stats.oldestAgeSeconds).toBeLessThan(5);
      expect(afterExpiry.map((d) => JSON.parse(d.body).n).sort()).toEqual(['1', '2']);
    });
  });
}
