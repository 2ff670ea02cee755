/**
 * What a partitioned consumer costs and how fast a group rebalances (docs/queue.md, Partitions):
 * a message's ack rides on its partition's next fenced lease (one script call per message, or per
 * batch, in the steady state), a batch handler gets in-order batches of one partition and a
 * failure sends the failed message and those after it back first, and a member that joins or
 * leaves makes the others rebalance at once (a notice), not at their next periodic tick. A private
 * Redis, so that INFO commandstats counts only these calls.
 */
import Redis from 'ioredis';
import { createLogger } from '../../../lib/log';
import { PartitionedConsumer, PartitionedQueue, type PartitionSpec } from '../../../lib/queue/partitions';
import type { QueueBackend } from '../../../lib/queue/types';
import { startRedisServer, type PrivateRedisServer } from '../../../scripts/stack/redis-server';
import { redisQueueOn, scriptCalls } from '../../support/redis-queue';
import { interleavedMessages, waitUntil } from '../../support/partitions';

jest.setTimeout(30_000);

const quiet = createLogger({ component: 'test' }, { level: 'silent' });

/** Long enough that no periodic tick (every third of it) falls inside a measurement. */
const LONG_LEASE_MS = 30_000;

describe('PartitionedConsumer', () => {
  let server: PrivateRedisServer;
  let client: Redis;
  let admin: Redis;
  let backend: QueueBackend;
  let counter = 0;
  const consumers: PartitionedConsumer[] = [];


  beforeAll(async () => {
    server = await startRedisServer();
    client = new Redis(server.url);
    admin = new Redis(server.url);
    backend = redisQueueOn(client, { maxReceiveCount: 1000 });
  });

  afterEach(async () => {
    await Promise.all(consumers.splice(0).map((c) => c.close()));
  });

  afterAll(async () => {
    await backend?.close();
    client?.disconnect();
    admin?.disconnect();
    await server?.stop();
  });

  function newSpec(partitions: number): PartitionSpec {
    counter += 1;
    return { queue: `pc-${counter}`, partitions, partitionKey: 'key' };
  }

  function track(consumer: PartitionedConsumer): PartitionedConsumer {
    consumers.push(consumer);
    return consumer;
  }

  it('should cost one script call per message in the steady state (the ack rides on the next fenced lease)', async () => {
    // arrange
    const spec = newSpec(1);
    const queue = new PartitionedQueue(backend, spec);
    const seen: number[] = [];
    await queue.pushBatch(interleavedMessages(1, 10));
    const consumer = track(
      new PartitionedConsumer({ redis: client, backend, spec, logger: quiet, leaseMs: LONG_LEASE_MS, handler: async (body) => void seen.push(Number(body.n)) }),
    );
    await consumer.start();
    await waitUntil(async () => seen.length === 10, 5_000);
    await admin.config('RESETSTAT');

    // act
    await queue.pushBatch(interleavedMessages(1, 200, 10));
    await waitUntil(async () => seen.length === 210, 10_000);

    // assert
    expect(seen).toEqual(Array.from({ length: 210 }, (_, n) => n));
    // 200 leases (each with the ack before it), the push, and a wait's probe or two.
    expect(await scriptCalls(admin)).toBeLessThanOrEqual(210);
  });

  it('should hand a batch handler in-order batches of one partition, one script call per batch', async () => {
    // arrange
    const spec = newSpec(1);
    const queue = new PartitionedQueue(backend, spec);
    const seen: number[] = [];
    const sizes: number[] = [];
    await queue.pushBatch(interleavedMessages(1, 5));
    const consumer = track(
      new PartitionedConsumer({
        redis: client,
        backend,
        spec,
        logger: quiet,
        leaseMs: LONG_LEASE_MS,
        batch: 5,
        handleBatch: async (deliveries) => {
          sizes.push(deliveries.length);
          for (const { body } of deliveries) seen.push(Number(JSON.parse(body).n));
        },
      }),
    );
    await consumer.start();
    await waitUntil(async () => seen.length === 5, 5_000);
    await admin.config('RESETSTAT');

    // act
    await queue.pushBatch(interleavedMessages(1, 200, 5));
    await waitUntil(async () => seen.length === 205, 10_000);

    // assert
    expect(seen).toEqual(Array.from({ length: 205 }, (_, n) => n));
    expect(Math.max(...sizes)).toBe(5);
    // 200 messages in batches of at most 5: about 40 leases, however the push and the loop meet.
    expect(await scriptCalls(admin)).toBeLessThanOrEqual(60);
  });

  it('should send a failed message and the ones after it in its batch back first, and ack the ones before it', async () => {
    // arrange
    const spec = newSpec(1);
    const queue = new PartitionedQueue(backend, spec);
    const handled: number[] = [];
    let failed = false;
    await queue.pushBatch(interleavedMessages(1, 10));
    const consumer = track(
      new PartitionedConsumer({
        redis: client,
        backend,
        spec,
        logger: quiet,
        leaseMs: LONG_LEASE_MS,
        batch: 4,
        handleBatch: async (deliveries) => {
          const failures = new Map<string, unknown>();
          for (const delivery of deliveries) {
            const n = Number(JSON.parse(delivery.body).n);
            if (n === 2 && !failed) {
              failed = true;
              failures.set(delivery.id, new Error('induced failure'));
            } else if (!failures.size) handled.push(n);
          }
          return failures;
        },
      }),
    );

    // act
    await consumer.start();
    await waitUntil(async () => handled.length >= 10, 5_000);

    // assert: 0 and 1 acked once; 2 came back first, then 3 (sent back with it) and the rest.
    expect(handled).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it("should give a joining member its share at once, not at the others' next periodic tick", async () => {
    // arrange
    const spec = newSpec(8);
    const first = track(new PartitionedConsumer({ redis: client, backend, spec, consumerId: 'a', logger: quiet, leaseMs: LONG_LEASE_MS, handler: async () => undefined }));
    await first.start();
    expect(first.partitions()).toHaveLength(8);
    const second = track(new PartitionedConsumer({ redis: client, backend, spec, consumerId: 'b', logger: quiet, leaseMs: LONG_LEASE_MS, handler: async () => undefined }));

    // act
    const joined = Date.now();
    await second.start();
    await waitUntil(async () => second.partitions().length === 4 && first.partitions().length === 4, 5_000);
    const tookMs = Date.now() - joined;

    // assert: a periodic tick would have come after 10 s.
    expect(tookMs).toBeLessThan(1_000);
    expect([...first.partitions(), ...second.partitions()].sort((x, y) => x - y)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
  });

  it("should give a leaving member's share to the others at once", async () => {
    // arrange
    const spec = newSpec(8);
    const first = track(new PartitionedConsumer({ redis: client, backend, spec, consumerId: 'a', logger: quiet, leaseMs: LONG_LEASE_MS, handler: async () => undefined }));
    const second = new PartitionedConsumer({ redis: client, backend, spec, consumerId: 'b', logger: quiet, leaseMs: LONG_LEASE_MS, handler: async () => undefined });
    await first.start();
    await second.start();
    await waitUntil(async () => first.partitions().length === 4, 5_000);

    // act
    const left = Date.now();
    await second.close();
    await waitUntil(async () => first.partitions().length === 8, 5_000);

    // assert
    expect(Date.now() - left).toBeLessThan(1_000);
  });
});
