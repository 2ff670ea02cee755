/**
 * runPartitionedBatchConsumer (lib/consumer/run-partitioned-batch-consumer.ts): a scheduled run as
 * a member of a partitioned queue's consumer group, settling each batch as runBatchConsumer does.
 * A private Redis and the in-memory damaged store.
 */
import Redis from 'ioredis';
import { DEFAULT_RETRY_POLICY } from '../../../lib/consumer/retry-policy';
import { runPartitionedBatchConsumer } from '../../../lib/consumer/run-partitioned-batch-consumer';
import type { BatchFailures, BatchMessage } from '../../../lib/consumer/run-batch-consumer';
import { InfrastructureError, PermanentError } from '../../../lib/errors';
import { createLogger } from '../../../lib/log';
import { PartitionedQueue, partitionedQueueDrained, type PartitionSpec } from '../../../lib/queue/partitions';
import type { QueueBackend } from '../../../lib/queue/types';
import { startRedisServer, type PrivateRedisServer } from '../../../scripts/stack/redis-server';
import { MemoryDamagedStore } from '../../support/memory-damaged-store';
import { interleavedMessages } from '../../support/partitions';
import { redisQueueOn } from '../../support/redis-queue';

jest.setTimeout(30_000);

const logger = createLogger({ component: 'test' }, { level: 'silent' });

describe('runPartitionedBatchConsumer', () => {
  let server: PrivateRedisServer;
  let client: Redis;
  let backend: QueueBackend;
  let counter = 0;

  beforeAll(async () => {
    server = await startRedisServer();
    client = new Redis(server.url);
    backend = redisQueueOn(client, { maxReceiveCount: 1000 });
  });

  afterAll(async () => {
    await backend?.close();
    client?.disconnect();
    await server?.stop();
  });

  function newSpec(): PartitionSpec {
    counter += 1;
    return { queue: `prun-${counter}`, partitions: 8, partitionKey: 'key' };
  }

  it('should share the partitions between two runs at once, each key in order, failures settled to damaged', async () => {
    // arrange
    const spec = newSpec();
    const messages = interleavedMessages(40, 10);
    await new PartitionedQueue(backend, spec).pushBatch(messages);
    const damagedStore = new MemoryDamagedStore();
    const lastOf = new Map<string, number>();
    const outOfOrder: string[] = [];
    const handleBatch = (run: string, seen: number[]) => async (batch: BatchMessage[]): Promise<BatchFailures> => {
      const failures: BatchFailures = new Map();
      await new Promise((resolve) => setTimeout(resolve, 5));
      for (const { body, delivery } of batch) {
        const key = String(body.key);
        const n = Number(body.n);
        if (n < (lastOf.get(key) ?? -1)) outOfOrder.push(`${run}:${key}:${n}`);
        lastOf.set(key, n);
        seen.push(n);
        if (n === 5 && key === 'key-7') failures.set(delivery.id, new PermanentError('induced rejection'));
      }
      return failures;
    };
    const seenA: number[] = [];
    const seenB: number[] = [];
    const run = (name: string, seen: number[]) =>
      runPartitionedBatchConsumer({ redis: client, backend, spec, leaseMs: 900, batchSize: 10, damagedStore, retryPolicy: DEFAULT_RETRY_POLICY, logger, handleBatch: handleBatch(name, seen) });

    // act
    const [a, b] = await Promise.all([run('a', seenA), run('b', seenB)]);

    // assert
    expect(a.processed + b.processed).toBe(messages.length);
    expect(a.damaged + b.damaged).toBe(1);
    expect(damagedStore.rows).toHaveLength(1);
    expect(seenA.length).toBeGreaterThan(0);
    expect(seenB.length).toBeGreaterThan(0);
    expect(outOfOrder).toEqual([]);
    expect([a.stoppedBecause, b.stoppedBecause]).toEqual(['empty', 'empty']);
    expect(await partitionedQueueDrained(backend, spec)).toBe(true);
  });

  it('should store a body that is not a JSON object in damaged with its raw text and go on with its partition in order', async () => {
    // arrange: one partition, a legacy RPUSH of a broken body between two keyed messages
    const spec: PartitionSpec = { ...newSpec(), partitions: 1 };
    const queue = new PartitionedQueue(backend, spec);
    await queue.push({ key: 'k', n: '0' });
    await client.rpush(`${spec.queue}#0`, '{"key": "k", "n": ');
    await queue.pushBatch([{ key: 'k', n: '2' }, { key: 'k', n: '3' }]);
    const damagedStore = new MemoryDamagedStore();
    const handled: number[] = [];

    // act
    const counts = await runPartitionedBatchConsumer({
      redis: client, backend, spec, leaseMs: 900, batchSize: 10, damagedStore, retryPolicy: DEFAULT_RETRY_POLICY, logger,
      handleBatch: async (batch) => {
        for (const { body } of batch) handled.push(Number(body.n));
      },
    });

    // assert
    expect(counts).toMatchObject({ processed: 4, succeeded: 3, damaged: 1, stoppedBecause: 'empty' });
    expect(handled).toEqual([0, 2, 3]);
    expect(damagedStore.rows).toEqual([expect.objectContaining({ originalQueue: spec.queue, message: '{"key": "k", "n": ', retryDate: null })]);
    expect(damagedStore.rows[0]!.error).toMatch(/^MalformedMessageError: body is not valid JSON/);
    expect(await backend.stats(`${spec.queue}#0`)).toMatchObject({ ready: 0, inFlight: 0, dead: 0 });
  });

  it('should empty the plain queue of the same name first, its messages before the partitions\' and counted with them', async () => {
    // arrange: messages pushed before the queue was declared partitioned (one by a legacy RPUSH), then keyed ones
    const spec: PartitionSpec = { ...newSpec(), partitions: 2 };
    await backend.pushBatch(spec.queue, [{ key: 'k', n: '0' }, { key: 'k', n: '1' }]);
    await client.rpush(spec.queue, JSON.stringify({ key: 'k', n: '2' }));
    await new PartitionedQueue(backend, spec).pushBatch([{ key: 'k', n: '3' }, { key: 'k', n: '4' }]);
    const handled: number[] = [];

    // act
    const counts = await runPartitionedBatchConsumer({
      redis: client, backend, spec, leaseMs: 900, batchSize: 10,
      damagedStore: new MemoryDamagedStore(), retryPolicy: DEFAULT_RETRY_POLICY, logger,
      handleBatch: async (batch) => {
        for (const { body } of batch) handled.push(Number(body.n));
      },
    });

    // assert
    expect(handled).toEqual([0, 1, 2, 3, 4]);
    expect(counts).toMatchObject({ processed: 5, succeeded: 5, stoppedBecause: 'empty' });
    expect(await backend.stats(spec.queue)).toMatchObject({ ready: 0, inFlight: 0 });
    expect(await partitionedQueueDrained(backend, spec)).toBe(true);
  });

  it('should count the plain queue\'s messages against its message limit', async () => {
    // arrange
    const spec = newSpec();
    await backend.pushBatch(spec.queue, Array.from({ length: 6 }, (_, n) => ({ key: 'k', n: String(n) })));
    await new PartitionedQueue(backend, spec).pushBatch([{ key: 'k', n: '6' }]);
    const handled: number[] = [];

    // act
    const counts = await runPartitionedBatchConsumer({
      redis: client, backend, spec, leaseMs: 900, batchSize: 2, messageLimit: 4,
      damagedStore: new MemoryDamagedStore(), retryPolicy: DEFAULT_RETRY_POLICY, logger,
      handleBatch: async (batch) => {
        for (const { body } of batch) handled.push(Number(body.n));
      },
    });

    // assert
    expect(counts).toMatchObject({ processed: 4, stoppedBecause: 'message-limit' });
    expect(handled).toEqual([0, 1, 2, 3]);
    expect(await backend.stats(spec.queue)).toMatchObject({ ready: 2 });
  });

  it('should stop at its time limit while waiting for messages', async () => {
    // arrange
    const spec = newSpec();
    const started = Date.now();

    // act
    const counts = await runPartitionedBatchConsumer({
      redis: client, backend, spec, leaseMs: 900, batchSize: 10, timeLimitSeconds: 0.5, wait: true,
      damagedStore: new MemoryDamagedStore(), retryPolicy: DEFAULT_RETRY_POLICY, logger, handleBatch: async () => undefined,
    });

    // assert
    expect(counts.stoppedBecause).toBe('time-limit');
    expect(Date.now() - started).toBeGreaterThanOrEqual(500);
  });

  it('should give every unsettled message back and reject when the database is down', async () => {
    // arrange
    const spec = newSpec();
    const messages = interleavedMessages(8, 3);
    await new PartitionedQueue(backend, spec).pushBatch(messages);

    // act
    const run = runPartitionedBatchConsumer({
      redis: client, backend, spec, leaseMs: 900, batchSize: 10,
      damagedStore: new MemoryDamagedStore(), retryPolicy: DEFAULT_RETRY_POLICY, logger,
      handleBatch: async () => {
        throw new InfrastructureError('database unreachable');
      },
    });

    // assert
    await expect(run).rejects.toBeInstanceOf(InfrastructureError);
    const stats = await Promise.all(Array.from({ length: spec.partitions }, (_, p) => backend.stats(`${spec.queue}#${p}`)));
    expect(stats.reduce((sum, s) => sum + s.ready + s.delayed, 0)).toBe(messages.length);
    expect(stats.reduce((sum, s) => sum + s.inFlight, 0)).toBe(0);
  });

  describe('with the receive limit the queues are declared with (maxReceiveCount 5)', () => {
    let limited: QueueBackend;

    beforeAll(() => {
      limited = redisQueueOn(client, { maxReceiveCount: 5 });
    });

    afterAll(async () => {
      await limited?.close();
    });

    /** Every message left in the partitions, leased once to read its receive count, then given back. */
    async function receiveCountsLeft(spec: PartitionSpec): Promise<{ counts: number[]; dead: number }> {
      const counts: number[] = [];
      let dead = 0;
      for (let p = 0; p < spec.partitions; p++) {
        const queue = `${spec.queue}#${p}`;
        dead += (await limited.stats(queue)).dead;
        const deliveries = await limited.lease(queue, { max: 100 });
        counts.push(...deliveries.map((delivery) => delivery.receiveCount));
        await Promise.all(deliveries.map((delivery) => limited.release(queue, delivery.receipt)));
      }
      return { counts, dead };
    }

    it('should spend no more than the one delivery each message got when its batch fails while the database answers, dead-lettering none', async () => {
      // arrange: a backlog in every partition, and a database that is down
      const spec = newSpec();
      const messages = interleavedMessages(40, 6);
      await new PartitionedQueue(limited, spec).pushBatch(messages);

      // act
      const run = runPartitionedBatchConsumer({
        redis: client, backend: limited, spec, leaseMs: 900, batchSize: 5,
        damagedStore: new MemoryDamagedStore(), retryPolicy: DEFAULT_RETRY_POLICY, logger,
        handleBatch: async () => {
          await new Promise((resolve) => setTimeout(resolve, 5));
          throw new InfrastructureError('database unreachable');
        },
      });

      // assert
      await expect(run).rejects.toBeInstanceOf(InfrastructureError);
      const { counts, dead } = await receiveCountsLeft(spec);
      expect(dead).toBe(0);
      expect(counts).toHaveLength(messages.length);
      // Leased once here to read it: a message the run handed to its handler shows 2, any other 1.
      expect(Math.max(...counts)).toBeLessThanOrEqual(2);
    });

    it('should spend no delivery while the database is down, over more runs than maxReceiveCount', async () => {
      // arrange: a backlog in every partition, and a database (the damaged store's too) that does not answer
      const spec = newSpec();
      const messages = interleavedMessages(40, 6);
      await new PartitionedQueue(limited, spec).pushBatch(messages);
      const down = new MemoryDamagedStore();
      down.unavailable = true;

      // act: eight runs, as eight scheduled minutes of an outage would make
      for (let run = 0; run < 8; run++) {
        await expect(
          runPartitionedBatchConsumer({
            redis: client, backend: limited, spec, leaseMs: 900, batchSize: 5,
            damagedStore: down, retryPolicy: DEFAULT_RETRY_POLICY, logger,
            handleBatch: async () => {
              throw new InfrastructureError('database unreachable');
            },
          }),
        ).rejects.toBeInstanceOf(InfrastructureError);
      }

      // assert: leased once here to read it, every message shows its first delivery
      const { counts, dead } = await receiveCountsLeft(spec);
      expect(dead).toBe(0);
      expect(counts).toHaveLength(messages.length);
      expect(new Set(counts)).toEqual(new Set([1]));
    });

    it('should give back what it leased after its message limit without spending its deliveries', async () => {
      // arrange
      const spec = newSpec();
      const messages = interleavedMessages(40, 6);
      await new PartitionedQueue(limited, spec).pushBatch(messages);

      // act
      const counts = await runPartitionedBatchConsumer({
        redis: client, backend: limited, spec, leaseMs: 900, batchSize: 5, messageLimit: 10,
        damagedStore: new MemoryDamagedStore(), retryPolicy: DEFAULT_RETRY_POLICY, logger,
        handleBatch: async () => {
          await new Promise((resolve) => setTimeout(resolve, 5));
        },
      });

      // assert
      expect(counts.stoppedBecause).toBe('message-limit');
      const left = await receiveCountsLeft(spec);
      expect(left.dead).toBe(0);
      expect(left.counts).toHaveLength(messages.length - counts.processed);
      expect(Math.max(...left.counts)).toBeLessThanOrEqual(2);
    });
  });
});
