import { randomBytes } from 'node:crypto';
import { eq, inArray } from 'drizzle-orm';
import { collectDeadLetters } from '../../../lib/consumer/collect-dead-letters';
import { createDamagedStore } from '../../../lib/consumer/damaged-store';
import { requeueDamaged } from '../../../lib/consumer/requeue-damaged';
import { damaged } from '../../../lib/db/schema';
import { createLogger } from '../../../lib/log';
import { RedisQueueBackend } from '../../../lib/queue';
import { PartitionedQueue, partitionOf, partitionQueueName, type PartitionSpec } from '../../../lib/queue/partitions';
import { createTestDatabase, type TestDatabase } from '../../support/database';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const logger = createLogger({}, { level: 'silent' });

// Per-project testTimeout is ignored in multi-project runs; creating a database may take a while.
jest.setTimeout(30_000);

describe('damaged jobs (Redis queue, MariaDB damaged store)', () => {
  let database: TestDatabase;
  let backend: RedisQueueBackend;
  const queues: string[] = [];
  const newQueue = () => {
    const queue = `itest-jobs-${randomBytes(4).toString('hex')}`;
    queues.push(queue);
    return queue;
  };

  beforeAll(async () => {
    database = await createTestDatabase();
  });

  /** A partitioned queue of 4 partitions whose partition queues the cleanup purges too. */
  const newPartitionedQueue = (): PartitionSpec => {
    const spec = { queue: newQueue(), partitions: 4, partitionKey: 'order_id' };
    for (let p = 0; p < spec.partitions; p += 1) queues.push(partitionQueueName(spec.queue, p));
    return spec;
  };

  afterAll(async () => {
    const cleaner = new RedisQueueBackend({ url: REDIS_URL });
    for (const queue of queues) await cleaner.purge(queue);
    await cleaner.close();
    await database.drop();
  });

  beforeEach(() => {
    backend = new RedisQueueBackend({ url: REDIS_URL, defaults: { maxReceiveCount: 1 } });
  });

  afterEach(async () => {
    await backend.close();
  });

  describe('requeueDamaged', () => {
    it('should push due rows back with their original body, delete them, and leave future ones', async () => {
      const queue = newQueue();
      const store = createDamagedStore(database.db);
      const dueBody = JSON.stringify({ order_id: 'due.1', gateway: 'adyen', source_enqueued_time: 1764300000 });
      const futureBody = JSON.stringify({ order_id: 'future.1', gateway: 'adyen' });
      await store.insert({ queue, body: dueBody, error: 'later', retryDate: new Date(Date.now() - 60_000) });
      await store.insert({ queue, body: futureBody, error: 'later', retryDate: new Date(Date.now() + 600_000) });

      const counts = await requeueDamaged({ backend, damagedStore: store, limit: 10, logger });

      expect(counts).toMatchObject({ requeued: 1, byQueue: { [queue]: 1 } });
      const [requeued] = await backend.peek(queue, 5);
      expect(JSON.parse(requeued!)).toMatchObject({ order_id: 'due.1', source_enqueued_time: 1764300000 });
      const left = await database.db.select().from(damaged).where(eq(damaged.originalQueue, queue));
      expect(left.map((r) => r.message)).toEqual([futureBody]);
    });

    it("should push a due row of a partitioned queue back to its key's partition queue", async () => {
      // arrange
      const spec = newPartitionedQueue();
      const store = createDamagedStore(database.db);
      await store.insert({ queue: spec.queue, body: JSON.stringify({ order_id: 'ORD-9', gateway: 'adyen' }), error: 'later', retryDate: new Date(Date.now() - 60_000) });

      // act
      const counts = await requeueDamaged({ backend, damagedStore: store, limit: 10, logger, partitionSpecOf: (queue) => (queue === spec.queue ? spec : undefined) });

      // assert
      expect(counts.byQueue).toEqual({ [spec.queue]: 1 });
      const partition = partitionQueueName(spec.queue, partitionOf(spec, { order_id: 'ORD-9' }));
      expect((await backend.peek(partition, 5)).map((body) => JSON.parse(body).order_id)).toEqual(['ORD-9']);
      expect((await backend.stats(spec.queue)).ready).toBe(0);
    });

    it('should leave rows the queue refuses for a person and requeue the due rows behind them', async () => {
      // arrange: the oldest due rows are one without its partition key and one over the size limit
      const spec = newPartitionedQueue();
      const queue = newQueue();
      const store = createDamagedStore(database.db);
      const partitionSpecOf = (name: string) => (name === spec.queue ? spec : undefined);
      await store.insert({ queue: spec.queue, body: JSON.stringify({ gateway: 'adyen' }), error: 'later', retryDate: new Date(Date.now() - 180_000) });
      await store.insert({ queue, body: JSON.stringify({ order_id: 'big.1', response: 'x'.repeat(300_000) }), error: 'later', retryDate: new Date(Date.now() - 120_000) });
      await store.insert({ queue, body: JSON.stringify({ order_id: 'due.2' }), error: 'later', retryDate: new Date(Date.now() - 60_000) });

      // act
      const counts = await requeueDamaged({ backend, damagedStore: store, limit: 10, logger, partitionSpecOf });

      // assert
      expect(counts).toEqual({ requeued: 1, unrequeueable: 2, byQueue: { [queue]: 1 } });
      expect((await backend.peek(queue, 5)).map((body) => JSON.parse(body).order_id)).toEqual(['due.2']);
      const left = await database.db.select().from(damaged).where(inArray(damaged.originalQueue, [queue, spec.queue])).orderBy(damaged.id);
      expect(left.map((row) => [row.originalQueue, row.retryDate])).toEqual([
        [spec.queue, null],
        [queue, null],
      ]);
    });

    it('should move at most `limit` rows per run', async () => {
      const queue = newQueue();
      const store = createDamagedStore(database.db);
      for (let n = 0; n < 3; n++) await store.insert({ queue, body: JSON.stringify({ n }), error: 'later', retryDate: new Date(Date.now() - 60_000) });

      const counts = await requeueDamaged({ backend, damagedStore: store, limit: 2, logger });

      expect(counts.byQueue[queue]).toBe(2);
      expect((await backend.stats(queue)).ready).toBe(2);
      expect(await database.db.select().from(damaged).where(eq(damaged.originalQueue, queue))).toHaveLength(1);
    });
  });

  describe('collectDeadLetters', () => {
    it('should move dead-lettered messages into damaged and delete them from the queue', async () => {
      const queue = newQueue();
      await backend.push(queue, { order_id: 'poison.1', gateway: 'paypal' });
      const [delivery] = await backend.lease(queue);
      await backend.release(queue, delivery!.receipt);
      expect(await backend.lease(queue)).toEqual([]); // past maxReceiveCount: dead-lettered
      expect((await backend.stats(queue)).dead).toBe(1);

      const counts = await collectDeadLetters({ backend, damagedStore: createDamagedStore(database.db), queues: [queue], limitPerQueue: 100, logger });

      expect(counts).toEqual({ [queue]: 1 });
      const rows = await database.db.select().from(damaged).where(eq(damaged.originalQueue, queue));
      expect(rows).toHaveLength(1);
      expect(rows[0]).toMatchObject({ orderId: 'poison.1', gateway: 'paypal', retryDate: null, message: delivery!.body });
      expect(rows[0]!.error).toMatch(/^exceeded maxReceiveCount after \d+ deliveries$/);
      expect((await backend.stats(queue)).dead).toBe(0);
    });

    it("should collect the dead letters of every partition queue of a partitioned queue, and of the plain queue of its name, under the queue's name", async () => {
      // arrange: two keys on two different partitions, each dead-lettered there, and one dead-lettered on the plain queue of the name
      const spec = newPartitionedQueue();
      await backend.push(spec.queue, { order_id: 'ORD-0', gateway: 'paypal' });
      const [plain] = await backend.lease(spec.queue);
      await backend.release(spec.queue, plain!.receipt);
      await backend.lease(spec.queue); // past maxReceiveCount: dead-lettered
      const keys = ['ORD-1', 'ORD-2', 'ORD-3', 'ORD-4', 'ORD-5'];
      const [a, b] = keys.filter((key, i) => keys.findIndex((other) => partitionOf(spec, { order_id: other }) === partitionOf(spec, { order_id: key })) === i);
      const partitioned = new PartitionedQueue(backend, spec);
      for (const orderId of [a!, b!]) {
        await partitioned.push({ order_id: orderId, gateway: 'paypal' });
        const partition = partitioned.queueOf({ order_id: orderId });
        const [delivery] = await backend.lease(partition);
        await backend.release(partition, delivery!.receipt);
        await backend.lease(partition); // past maxReceiveCount: dead-lettered
      }

      // act
      const counts = await collectDeadLetters({
        backend,
        damagedStore: createDamagedStore(database.db),
        queues: [spec.queue],
        limitPerQueue: 100,
        logger,
        partitionSpecOf: (queue) => (queue === spec.queue ? spec : undefined),
      });

      // assert
      expect(counts).toEqual({ [spec.queue]: 3 });
      expect((await backend.stats(spec.queue)).dead).toBe(0);
      const rows = await database.db.select().from(damaged).where(eq(damaged.originalQueue, spec.queue));
      expect(rows.map((row) => row.orderId).sort()).toEqual(['ORD-0', a, b].sort());
      for (const orderId of [a!, b!]) expect((await backend.stats(partitioned.queueOf({ order_id: orderId }))).dead).toBe(0);
    });
  });
});
