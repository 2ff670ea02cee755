/**
 * The cutover mover into a partitioned target (contribution tracking, by tracking id): each legacy
 * message lands in its id's partition queue, where the consumers read, once however often the
 * batch is moved (the idempotency keys ride on the partition pushes). A private redis-server.
 */
import Redis from 'ioredis';
import type { RowDataPacket } from 'mysql2/promise';
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

  it('should store a legacy message over the queue size limit in damaged, once, and move the others of its batch', async () => {
    // arrange: ActiveMQ had no 256 KB limit
    const channel = { name: 'activemq:contribution-tracking', target: 'contribution-tracking', format: 'contribution-tracking' as const };
    const message = (id: string, utmSource: string) => ({ raw: JSON.stringify({ id, ts: '20261203090000', utm_source: utmSource }), context: { source: 'test' } });
    const items = [message('201', 'legacy'), message('202', 'x'.repeat(300_000)), message('203', 'legacy')];

    // act: moved twice, as a bridge run that failed after the move would
    const first = await moveBatch(deps, channel, items);
    const second = await moveBatch(deps, channel, items);

    // assert
    expect(first.outcomes).toEqual(['moved', 'damaged', 'moved']);
    expect(second.outcomes).toEqual(first.outcomes);
    const routing = new PartitionedQueue(backend, definedPartitionSpec('contribution-tracking')!);
    const queued = async (id: string) => (await backend.peek(routing.queueOf({ id }), 50)).filter((body) => (JSON.parse(body) as { id: string }).id === id).length;
    expect([await queued('201'), await queued('202'), await queued('203')]).toEqual([1, 0, 1]);
    const rows = await database.pool.query<RowDataPacket[]>("SELECT error FROM damaged WHERE original_queue = 'contribution-tracking'");
    expect(rows[0].map((row) => String(row.error))).toEqual([expect.stringMatching(/^MessageTooLargeError: message of \d+ bytes is bigger than the 262144 bytes/)]);
  });
});
