/**
 * The console's queue page beyond the figures: pushed and consumed per minute over the last hour
 * as a chart (the Redis backend's own counts), and a partitioned queue's partitions with the
 * consumers holding them (two real PartitionedConsumers on Redis), whose rates are its partition
 * queues' summed. Also the CLI's library calls.
 */
import { randomBytes } from 'node:crypto';
import Redis from 'ioredis';
import { createLogger } from '../../../lib/log';
import { eq } from 'drizzle-orm';
import { damaged } from '../../../lib/db/schema';
import { PartitionedConsumer, PartitionedQueue, type PartitionSpec } from '../../../lib/queue/partitions';
import { startRedisServer, type PrivateRedisServer } from '../../../scripts/stack/redis-server';
import { CONSOLE_TEST_TOKEN, createConsoleFixture, type ConsoleFixture } from '../../support/console';
import { waitUntil } from '../../support/partitions';
import { redisQueueOn } from '../../support/redis-queue';

jest.setTimeout(30_000);

describe('the console\'s queue page', () => {
  let server: PrivateRedisServer;
  let f: ConsoleFixture;
  let redis: Redis;
  const spec: PartitionSpec = { queue: `itest-console-parts-${randomBytes(3).toString('hex')}`, partitions: 4, partitionKey: 'key' };
  const get = (path: string) => f.app.request(path, { headers: { authorization: `Bearer ${CONSOLE_TEST_TOKEN}` } });

  beforeAll(async () => {
    // A private server, as the partition tests use: the consumers wait on sharded pub/sub.
    server = await startRedisServer();
    f = await createConsoleFixture({ redisUrl: server.url, partitioned: [spec] });
    redis = new Redis(server.url);
  });

  afterAll(async () => {
    redis.disconnect();
    await f.close();
    await server.stop();
  });

  it('should chart the messages pushed and consumed per minute over the last hour', async () => {
    await f.backend.pushBatch(f.queues.pending, [{ n: 1 }, { n: 2 }, { n: 3 }]);
    const [delivery] = await f.backend.lease(f.queues.pending);
    await f.backend.ack(f.queues.pending, delivery!.receipt);
    await new Promise((resolve) => setTimeout(resolve, 1500));

    const rates = await f.ops.rates(f.queues.pending);
    const page = await (await get(`/console/queues/${f.queues.pending}`)).text();

    expect(rates!.pushed).toHaveLength(60);
    expect([rates!.pushed.reduce((a, b) => a + b, 0), rates!.acked.reduce((a, b) => a + b, 0)]).toEqual([3, 1]);
    expect(page).toContain('id="rates-chart"');
    expect(page).toContain('data-series="pushed">3<');
    expect(page).toContain('data-series="consumed (acked)">1<');
    expect(page).not.toContain('id="partitions"');
    await f.backend.purge(f.queues.pending);
  });

  it('should list a partitioned queue\'s partitions with their owners, tokens and figures, and the group\'s members', async () => {
    const quiet = createLogger({}, { level: 'silent' });
    // The consumers' backend on their own client, as the partition tests run them.
    const backend = redisQueueOn(redis);
    const consumers = ['member-a', 'member-b'].map(
      (consumerId) => new PartitionedConsumer({ redis, backend, spec, consumerId, leaseMs: 3000, logger: quiet, handler: async () => undefined }),
    );
    for (const c of consumers) await c.start();
    try {
      await waitUntil(async () => consumers.every((c) => c.partitions().length === 2), 10_000);

      const view = (await f.ops.partitions(spec.queue))!;
      const page = await (await get(`/console/queues/${spec.queue}`)).text();

      const owners = Object.fromEntries(view.partitions.map((p) => [p.partition, p.owner]));
      for (const c of consumers) for (const p of c.partitions()) expect(owners[p]).toBe(c.consumerId);
      expect(view.partitions.every((p) => p.token > 0 && p.leaseDeadline! > view.readAt)).toBe(true);
      expect(view.members.map((m) => m.consumerId).sort()).toEqual(['member-a', 'member-b']);
      expect(view.partitions.map((p) => p.stats)).toEqual(view.partitions.map(() => expect.objectContaining({ ready: 0, inFlight: 0, dead: 0 })));
      expect(page).toContain('id="partitions"');
      for (const p of view.partitions) expect(page).toContain(`<td>${p.queue}</td><td>${p.owner}</td>`);
    } finally {
      for (const c of consumers) await c.close();
      await backend.close();
    }
  });

  it('should show a partition nobody holds once its consumers have left', async () => {
    const view = (await f.ops.partitions(spec.queue))!;

    expect(view.partitions.map((p) => p.owner)).toEqual([null, null, null, null]);
    expect(view.members).toEqual([]);
  });

  it("should chart a partitioned queue's rates as its partition queues' summed, the fenced acks of its consumers included", async () => {
    const handled: unknown[] = [];
    const backend = redisQueueOn(redis);
    const consumer = new PartitionedConsumer({ redis, backend, spec, consumerId: 'member-c', leaseMs: 3000, logger: createLogger({}, { level: 'silent' }), handler: async (body) => void handled.push(body) });
    const before = (await f.ops.rates(spec.queue))!;
    await consumer.start();
    try {
      await new PartitionedQueue(f.backend, spec).pushBatch(['k1', 'k2', 'k3', 'k4', 'k5', 'k6'].map((key) => ({ key })));
      await waitUntil(async () => handled.length === 6, 10_000);
    } finally {
      await consumer.close();
      await backend.close();
    }
    await new Promise((resolve) => setTimeout(resolve, 1500));

    const after = (await f.ops.rates(spec.queue))!;

    const sum = (values: number[]) => values.reduce((a, b) => a + b, 0);
    expect(after.pushed).toHaveLength(60);
    expect([sum(after.pushed) - sum(before.pushed), sum(after.acked) - sum(before.acked)]).toEqual([6, 6]);
  });

  // Last: its pushes and redrive would count in the rates test's figures (counted a moment later).
  it("should show a partitioned queue's figures as its partitions' summed, peek them and redrive a partition's dead letters back into it", async () => {
    // arrange: 6 messages over the partitions, those of k-0's partition dead-lettered there
    const queue = new PartitionedQueue(f.backend, spec);
    await queue.pushBatch(Array.from({ length: 6 }, (_, n) => ({ key: `k-${n}`, n: String(n) })));
    const deadQueue = queue.queueOf({ key: 'k-0' });
    const leased = await f.backend.lease(deadQueue, { max: 10 });
    for (const delivery of leased) await f.backend.release(deadQueue, delivery.receipt);
    expect(await f.backend.lease(deadQueue)).toEqual([]); // past maxReceiveCount: dead-lettered
    const dead = leased.length;
    const actor = { name: 'tester', via: 'cli' as const };

    // act
    const before = await f.ops.queueStats(spec.queue);
    const peeked = await f.ops.peek(spec.queue, 10);
    const { moved } = await f.ops.redrive(actor, spec.queue, 10);
    const after = await f.ops.queueStats(spec.queue);

    // assert
    expect(before?.stats).toMatchObject({ ready: 6 - dead, inFlight: 0, dead });
    expect(peeked).toHaveLength(6 - dead);
    expect(moved).toBe(dead);
    expect(after?.stats).toMatchObject({ ready: 6, dead: 0 });
    expect((await f.backend.stats(deadQueue)).ready).toBe(dead);
    await f.ops.purge(actor, spec.queue, spec.queue);
    expect((await f.ops.queueStats(spec.queue))?.stats).toMatchObject({ ready: 0, inFlight: 0, delayed: 0, dead: 0 });
  });

  it("should resend a partitioned queue's damaged row to its key's partition", async () => {
    const body = JSON.stringify({ key: 'k-resend', n: '1' });
    await f.damagedStore.insert({ queue: spec.queue, body, error: new Error('induced') });
    const [row] = await f.database.db.select({ id: damaged.id }).from(damaged).where(eq(damaged.originalQueue, spec.queue));

    await f.ops.resendDamaged({ name: 'tester', via: 'cli' }, row!.id);

    const target = new PartitionedQueue(f.backend, spec).queueOf({ key: 'k-resend' });
    expect((await f.backend.peek(target, 10)).map((stored) => JSON.parse(stored).key)).toEqual(['k-resend']);
    await f.ops.purge({ name: 'tester', via: 'cli' }, spec.queue, spec.queue);
  });

  it("should show, peek first and purge what waits on the plain queue of a partitioned queue's name", async () => {
    // arrange: a message pushed before the queue was declared partitioned, then a keyed one
    await f.backend.push(spec.queue, { key: 'k-before', n: '0' });
    await new PartitionedQueue(f.backend, spec).push({ key: 'k-after', n: '1' });
    const actor = { name: 'tester', via: 'cli' as const };

    // act
    const shown = await f.ops.queueStats(spec.queue);
    const peeked = await f.ops.peek(spec.queue, 10);
    await f.ops.purge(actor, spec.queue, spec.queue);

    // assert
    expect(shown?.stats).toMatchObject({ ready: 2 });
    expect(peeked?.map((text) => JSON.parse(text).key)).toEqual(['k-before', 'k-after']);
    expect((await f.backend.stats(spec.queue)).ready).toBe(0);
    expect((await f.ops.queueStats(spec.queue))?.stats).toMatchObject({ ready: 0, inFlight: 0, delayed: 0, dead: 0 });
  });
});
