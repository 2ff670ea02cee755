/**
 * The cutover mover into a partitioned target (contribution tracking, by tracking id): each legacy
 * message lands in its id's partition queue, where the consumers read, once however often the
 * batch is moved (the idempotency keys ride on the partition pushes). A private redis-server.
 */
import Redis from 'ioredis';
import { createDamagedStore } from '../../../lib/consumer/damaged-store';
import { CutoverLedger } from '../../../lib/cutover/ledger';
import { moveBatch, type MoverDeps } from '../../../lib/cutover/mover';
import { createLogger } from '../../../lib/log';
import { definedPartitionSpec, PartitionedQueue, queueStats } from '../../../lib/queue/partitions';
import type { QueueBackend } from '../../../lib/queue/types';
import { startRedisServer, type PrivateRedisServer } from '../../../scripts/stack/redis-server';
import { createTestDatabase, type TestDatabase } from '../../support/database';
import { redisQueueAt } from '../../support/redis-queue';

jest.setTimeout(60_000);

describe('moveBatch into a partitioned target', () => {
  let server: PrivateRedisServer;
  let database: TestDatabase;
  let redis: Redis;
  let backend: QueueBackend;
  let deps: MoverDeps;

  beforeAll(async () => {
    server = await startRedisServer();
    database = await createTestDatabase();
    redis = new Redis(server.url);
    backend = redisQueueAt(server.url);
    deps = { backend, db: database.db, damagedStore: createDamagedStore(database.db), ledger: new CutoverLedger(redis, 'itest:ledger'), logger: createLogger({}, { level: 'silent' }) };
  });

  afterAll(async () => {
    await backend?.close();
    redis?.disconnect();
    await database?.drop();
    await server?.stop();
  });

  it("should push each legacy tracking message to its id's partition, once over two moves", async () => {
    const channel = { name: 'activemq:contribution-tracking', target: 'contribution-tracking', format: 'contribution-tracking' as const };
    const items = ['101', '102', '103', '101'].map((id, n) => ({ raw: JSON.stringify({ id, ts: `2026120309000${n}`, utm_source: 'legacy' }), context: { source: 'test' } }));

    await moveBatch(deps, channel, items);
    await moveBatch(deps, channel, items);

    const spec = definedPartitionSpec('contribution-tracking')!;
    const routing = new PartitionedQueue(backend, spec);
    expect(await backend.stats('contribution-tracking')).toMatchObject({ ready: 0 });
    expect((await queueStats(backend, 'contribution-tracking')).ready).toBe(4);
    for (const id of ['101', '102', '103']) {
      const bodies = (await backend.peek(routing.queueOf({ id }), 10)).map((body) => JSON.parse(body) as { id: string });
      expect(bodies.filter((body) => body.id === id)).toHaveLength(id === '101' ? 2 : 1);
    }
  });
});
