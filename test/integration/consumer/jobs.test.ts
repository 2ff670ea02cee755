import { randomBytes } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { collectDeadLetters } from '../../../lib/consumer/collect-dead-letters';
import { createDamagedStore } from '../../../lib/consumer/damaged-store';
import { requeueDamaged } from '../../../lib/consumer/requeue-damaged';
import { damaged } from '../../../lib/db/schema';
import { createLogger } from '../../../lib/log';
import { RedisQueueBackend } from '../../../lib/queue';
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
  });
});
