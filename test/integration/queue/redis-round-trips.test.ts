/**
 * What a consumer loop costs on Redis, in script calls, and what that costs nothing in safety
 * (docs/queue.md, Prefetch): the ack of a lone popAtomic loop leases the message after the next
 * one and claims the next one ahead (one call per message), acks that share a call prefetch
 * nothing, and a message no callback was
 * handed never counts a delivery; consumeBatches leases each batch while the one before is
 * handled, with the acks of the batch before that (one call per batch, overlapping the callback).
 */
import Redis from 'ioredis';
import type { QueueBackend } from '../../../lib/queue/types';
import { startRedisServer, type PrivateRedisServer } from '../../../scripts/stack/redis-server';
import { redisQueueOn, scriptCalls } from '../../support/redis-queue';

jest.setTimeout(30_000);

describe('Redis consumer loops', () => {
  const queue = 'prefetch';
  let server: PrivateRedisServer;
  let client: Redis;
  let admin: Redis;
  let backend: QueueBackend;


  beforeAll(async () => {
    server = await startRedisServer();
    client = new Redis(server.url);
    admin = new Redis(server.url);
    backend = redisQueueOn(client, { visibilityTimeoutSeconds: 30, maxReceiveCount: 5 });
  });

  afterAll(async () => {
    await backend.close();
    client.disconnect();
    admin.disconnect();
    await server.stop();
  });

  beforeEach(async () => {
    await admin.flushall();
  });

  it('should cost one script call per message when one consumer calls popAtomic in a loop', async () => {
    // arrange
    await backend.pushBatch(queue, Array.from({ length: 210 }, (_, n) => ({ n })));
    for (let i = 0; i < 10; i += 1) await backend.popAtomic(queue, async () => undefined); // the loop reaches its steady state
    await admin.config('RESETSTAT');

    // act
    const seen: number[] = [];
    for (let i = 0; i < 200; i += 1) await backend.popAtomic(queue, async (body) => seen.push(Number(body.n)));

    // assert
    expect(seen).toEqual(Array.from({ length: 200 }, (_, i) => 10 + i));
    expect(await scriptCalls(admin)).toBeLessThanOrEqual(201);
  });

  it('should prefetch only for an ack that goes out alone, not for acks that share a call', async () => {
    // arrange: sixteen consumers whose callbacks all finish in the same turn
    await backend.pushBatch(queue, Array.from({ length: 60 }, (_, n) => ({ n })));
    let started = 0;
    let release!: () => void;
    const barrier = new Promise<void>((resolve) => (release = resolve));
    const callback = async () => {
      started += 1;
      if (started === 16) release();
      await barrier;
    };

    // act
    await Promise.all(Array.from({ length: 16 }, () => backend.popAtomic(queue, callback)));

    // assert: the first ack finds the queue idle and goes out alone, claiming none ahead and
    // prefetching two; the other fifteen share the next call, which prefetches nothing
    expect(await admin.scard(`{${queue}}:prefetched`)).toBe(2);
    expect(await admin.hlen(`{${queue}}:inflight`)).toBe(2);
    await backend.lease(queue, { max: 0 }); // gives the two back, for the tests after this one
  });

  it('should give back the messages it prefetched and claimed ahead with their receive counts unchanged when the loop stops', async () => {
    // arrange
    await backend.pushBatch(queue, Array.from({ length: 6 }, (_, n) => ({ n })));
    for (let i = 0; i < 3; i += 1) await backend.popAtomic(queue, async () => undefined);

    // act: nobody takes what the last acks prefetched; it goes back after 50 ms
    await new Promise((resolve) => setTimeout(resolve, 150));
    const rest = await backend.lease(queue, { max: 10 });

    // assert
    expect(rest.map((d) => [JSON.parse(d.body).n, d.receiveCount])).toEqual([
      [3, 1],
      [4, 1],
      [5, 1],
    ]);
  });

  it('should give back the prefetches first when the process takes a lease, so that the lease sees the queue in order', async () => {
    // arrange
    await backend.pushBatch(queue, Array.from({ length: 5 }, (_, n) => ({ n })));
    await backend.popAtomic(queue, async () => undefined);
    await backend.popAtomic(queue, async () => undefined);

    // act
    const leased = await backend.lease(queue, { max: 10 });

    // assert
    expect(leased.map((d) => [JSON.parse(d.body).n, d.receiveCount])).toEqual([
      [2, 1],
      [3, 1],
      [4, 1],
    ]);
  });

  it('should deliver in push order to one consumer that pauses between its popAtomic calls', async () => {
    // arrange: pauses around the 50 ms after which unused prefetches go back, so that what the
    // process holds is partly older and partly younger than that when the next call takes one
    const pausesMs = [0, 20, 40, 45, 48, 55];
    await backend.pushBatch(queue, Array.from({ length: pausesMs.length * 8 }, (_, n) => ({ n })));

    // act
    const seen: number[] = [];
    for (const pauseMs of pausesMs) {
      for (let i = 0; i < 8; i += 1) {
        await backend.popAtomic(queue, async (body) => seen.push(Number(body.n)));
        await new Promise((resolve) => setTimeout(resolve, pauseMs));
      }
    }

    // assert
    expect(seen).toEqual(Array.from({ length: pausesMs.length * 8 }, (_, n) => n));
  });

  it('should deliver in push order to one consumer whose callback blocks the process longer than a prefetch may wait to be claimed', async () => {
    // arrange: a callback that holds the event loop for 700 ms (a long synchronous step, or a
    // process the machine did not schedule), longer than the 500 ms a prefetch may still be claimed in
    await backend.pushBatch(queue, Array.from({ length: 8 }, (_, n) => ({ n })));
    const blockOn = new Set([1, 4]);

    // act
    const seen: number[] = [];
    for (let i = 0; i < 8; i += 1) {
      await backend.popAtomic(queue, async (body) => {
        seen.push(Number(body.n));
        if (blockOn.has(Number(body.n))) {
          const until = Date.now() + 700;
          while (Date.now() < until); // the process does nothing else meanwhile
        }
      });
    }

    // assert
    expect(seen).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
  });

  it('should leave no lease behind when a prefetch is claimed and acked in the same script call', async () => {
    // arrange: two consumers, so that one's claim and ack gather behind the other's call
    await backend.pushBatch(queue, Array.from({ length: 60 }, (_, n) => ({ n })));
    const seen: number[] = [];

    // act
    await Promise.all(
      [0, 1].map(async () => {
        for (;;) {
          const result = await backend.popAtomic(queue, async (body) => seen.push(Number(body.n)));
          if (result.status === 'empty') return;
        }
      }),
    );
    await new Promise((resolve) => setTimeout(resolve, 100));

    // assert
    expect([...seen].sort((a, b) => a - b)).toEqual(Array.from({ length: 60 }, (_, n) => n));
    expect(await admin.zcard(`{${queue}}:leases`)).toBe(0);
    expect(await admin.hlen(`{${queue}}:inflight`)).toBe(0);
  });

  it('should cost one script call per batch when consumeBatches runs, the last acks included', async () => {
    // arrange
    await backend.pushBatch(queue, Array.from({ length: 500 }, (_, n) => ({ n })));
    await admin.config('RESETSTAT');

    // act
    const result = await backend.consumeBatches(queue, () => 100, async () => ({ failedIds: [] }));

    // assert: five batches, the lease ahead of the fifth that found the queue empty, and the
    // lease after it that carried the last acks (and found it empty too)
    expect(result).toEqual({ leased: 500, acked: 500, failed: 0, batches: 5, stoppedBecause: 'empty' });
    expect(await scriptCalls(admin)).toBe(7);
    expect(await admin.hlen(`{${queue}}:inflight`)).toBe(0);
  });

  it('should cost one script call per batch when the last batch is short, its lease ahead skipped', async () => {
    // arrange
    await backend.pushBatch(queue, Array.from({ length: 450 }, (_, n) => ({ n })));
    await admin.config('RESETSTAT');

    // act
    const result = await backend.consumeBatches(queue, () => 100, async () => ({ failedIds: [] }));

    // assert: five batches, then the lease that found the queue empty (and carried the last acks)
    expect(result).toEqual({ leased: 450, acked: 450, failed: 0, batches: 5, stoppedBecause: 'empty' });
    expect(await scriptCalls(admin)).toBe(6);
    expect(await admin.hlen(`{${queue}}:inflight`)).toBe(0);
  });

  it('should send the lease of the next batch, with the acks of the batch before, while the callback still holds a batch', async () => {
    // arrange
    await backend.pushBatch(queue, Array.from({ length: 30 }, (_, n) => ({ n })));
    const inFlightDuringCallback: number[] = [];
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const inflight = () => admin.hlen(`{${queue}}:inflight`);
    const waitForInflight = async (count: number) => {
      for (let i = 0; i < 100 && (await inflight()) !== count; i += 1) await new Promise((resolve) => setTimeout(resolve, 10));
      return inflight();
    };

    // act: the second callback holds its batch until the test has looked
    const run = backend.consumeBatches(queue, () => 10, async () => {
      const batch = inFlightDuringCallback.length + 1;
      inFlightDuringCallback.push(await waitForInflight(batch === 3 ? 10 : 20));
      if (batch === 2) await held;
      return { failedIds: [] };
    });
    const during = await waitForInflight(20);
    release();
    const result = await run;

    // assert: while a batch is handled the next is leased (20 in flight), and that lease carried
    // the acks of the batch before (never 30 in flight); the lease ahead of the third found nothing
    expect(during).toBe(20);
    expect(inFlightDuringCallback).toEqual([20, 20, 10]);
    expect(result).toEqual({ leased: 30, acked: 30, failed: 0, batches: 3, stoppedBecause: 'empty' });
    expect(await inflight()).toBe(0);
  });
});
