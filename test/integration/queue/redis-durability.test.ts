/**
 * Durability of the Redis queue on a server with `appendonly yes` and `appendfsync always`: Redis
 * writes and fsyncs each command to its AOF before replying, so whatever a push, a lease or an
 * ack resolved with is on disk. A kill -9 (no shutdown, no final write) followed by a restart on
 * the same directory and port must therefore lose none of it: every pushed message is back, in
 * order, a message leased before the kill comes back once its lease runs out, an acked one stays
 * gone. The control at the end runs the same kill without the AOF and loses everything, so these
 * tests do detect a loss.
 */
import { QueueUnavailableError, StaleReceiptError } from '../../../lib/queue/errors';
import type { Delivery, QueueBackend } from '../../../lib/queue/types';
import { redisQueueAt } from '../../support/redis-queue';
import { startRedisServer, type PrivateRedisServer } from '../../../scripts/stack/redis-server';

const VISIBILITY_SECONDS = 3;

/** Resolves once `backend` answers again after a restart (calls reject with QueueUnavailableError until it has reconnected). */
async function untilAvailable(backend: QueueBackend, queue: string): Promise<void> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    try {
      await backend.stats(queue);
      return;
    } catch (error) {
      if (!(error instanceof QueueUnavailableError) || Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

/** Leases everything ready, in batches, until the queue answers empty. */
async function leaseAll(backend: QueueBackend, queue: string): Promise<Delivery[]> {
  const all: Delivery[] = [];
  for (;;) {
    const batch = await backend.lease(queue, { max: 100 });
    if (batch.length === 0) return all;
    all.push(...batch);
  }
}

const numbers = (deliveries: Delivery[]) => deliveries.map((d) => (JSON.parse(d.body) as { n: number }).n);
const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);

describe('Redis queue durability across kill -9 (appendonly yes, appendfsync always)', () => {
  let server: PrivateRedisServer;
  let backend: QueueBackend;

  beforeAll(async () => {
    server = await startRedisServer({ persistence: true });
    // The library's own connection settings, as producers and consumers get them.
    backend = redisQueueAt(server.url, { visibilityTimeoutSeconds: VISIBILITY_SECONDS, maxReceiveCount: 100 });
  });

  afterAll(async () => {
    await backend?.close();
    await server?.stop();
  });

  it('should keep every message whose push resolved, in push order, and none that was acked', async () => {
    const queue = 'durable-order';
    for (let n = 0; n < 200; n += 1) await backend.push(queue, { n, note: 'dürable ✓' });
    await backend.pushBatch(queue, range(200, 500).map((n) => ({ n })));
    const acked = await backend.lease(queue, { max: 50 });
    const stale = await backend.ackBatch(queue, acked.map((d) => d.receipt));
    const storedBefore = await backend.peek(queue, 1000);

    await server.restart({ kill: true });
    await untilAvailable(backend, queue);
    const after = await leaseAll(backend, queue);

    expect([numbers(acked), stale]).toEqual([range(0, 50), []]);
    expect(after.map((d) => d.body)).toEqual(storedBefore);
    expect(numbers(after)).toEqual(range(50, 500));
    expect(after.every((d) => d.receiveCount === 1)).toBe(true);
  });

  it('should keep each push across a kill -9 right after it resolved, round after round', async () => {
    const queue = 'durable-rounds';
    for (let n = 0; n < 3; n += 1) {
      await untilAvailable(backend, queue);
      await backend.push(queue, { n });
      await server.restart({ kill: true });
    }

    await untilAvailable(backend, queue);
    const after = await backend.lease(queue, { max: 10 });

    expect(numbers(after)).toEqual([0, 1, 2]);
  });

  it('should deliver a message leased but not acked before the kill again once its lease has run out', async () => {
    const queue = 'durable-lease';
    await backend.push(queue, { n: 1 });
    const leasedFrom = Date.now();
    const [first] = await backend.lease(queue, { max: 1 });

    await server.restart({ kill: true });
    await untilAvailable(backend, queue);
    const statsAfterRestart = await backend.stats(queue);
    let again: Delivery | undefined;
    const deadline = Date.now() + 30_000;
    while (!again && Date.now() < deadline) {
      [again] = await backend.lease(queue, { max: 1 });
      if (!again) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const redeliveredAfter = Date.now() - leasedFrom;

    // The lease itself survived: the message is still in flight, not ready, right after the restart.
    expect(statsAfterRestart).toMatchObject({ ready: 0, inFlight: 1 });
    expect(again).toMatchObject({ id: first!.id, body: first!.body, enqueuedAt: first!.enqueuedAt, receiveCount: 2 });
    // A lower bound only: never before the lease ran out, however slow the machine.
    expect(redeliveredAfter).toBeGreaterThanOrEqual(VISIBILITY_SECONDS * 1000);
    await expect(backend.ack(queue, first!.receipt)).rejects.toThrow(StaleReceiptError);
    await backend.ack(queue, again!.receipt);
    expect(await backend.stats(queue)).toMatchObject({ ready: 0, inFlight: 0 });
  });

  it('should lose every message without the AOF: the control that shows a kill -9 wipes what was only in memory', async () => {
    const volatile = await startRedisServer();
    const volatileBackend = redisQueueAt(volatile.url);
    try {
      const queue = 'volatile';
      await volatileBackend.pushBatch(queue, range(0, 10).map((n) => ({ n })));

      await volatile.restart({ kill: true });
      await untilAvailable(volatileBackend, queue);

      expect(await leaseAll(volatileBackend, queue)).toEqual([]);
    } finally {
      await volatileBackend.close();
      await volatile.stop();
    }
  });
});
