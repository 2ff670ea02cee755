/**
 * Per-minute traffic counts of a Redis queue (lib/queue/redis/rate-counter.ts): pushes counted
 * once stored, acks once settled (stale receipts not), on every path a consumer acks through
 * (partitioned consumers' fenced acks too) and every path that takes messages in (redrive too);
 * written within a second, read back per minute. Real Redis.
 */
import { randomBytes } from 'node:crypto';
import Redis from 'ioredis';
import { createLogger } from '../../../lib/log';
import { RedisQueueBackend } from '../../../lib/queue';
import { PartitionedConsumer, PartitionedQueue, partitionFenceKey, partitionMembersKey, partitionOwnerKey, partitionQueueName } from '../../../lib/queue/partitions';
import { rateKey } from '../../../lib/queue/redis/keys';
import { RATE_MINUTES_KEPT } from '../../../lib/queue/redis/rate-counter';
import { waitUntil } from '../../support/partitions';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

describe('RedisQueueBackend rates', () => {
  let redis: Redis;
  let backend: RedisQueueBackend;
  const queue = `itest-rates-${randomBytes(4).toString('hex')}`;
  const thisMinute = () => Math.floor(Date.now() / 60_000);
  const sum = (values: number[]) => values.reduce((a, b) => a + b, 0);
  /** Every queue a test used, for the clean-up of its messages and rate keys. */
  const used = [queue];

  beforeAll(() => {
    redis = new Redis(REDIS_URL);
    backend = new RedisQueueBackend({ redis, defaults: { maxReceiveCount: 5 } });
  });

  afterAll(async () => {
    for (const name of used) {
      await backend.purge(name);
      const keys = await redis.keys(`{${name}}:rate:*`);
      if (keys.length > 0) await redis.del(...keys);
    }
    await backend.close();
    redis.disconnect();
  });

  it('should count pushed and acked messages in the current minute, on every ack path, leaving stale receipts out', async () => {
    const before = await backend.rates(queue, 2);
    await backend.push(queue, { n: 1 });
    await backend.pushBatch(queue, [{ n: 2 }, { n: 3 }, { n: 4 }, { n: 5 }]);
    const [first] = await backend.lease(queue);
    await backend.ack(queue, first!.receipt);
    expect(await backend.ackBatch(queue, [first!.receipt])).toEqual([first!.receipt]); // stale: not counted
    await backend.popAtomic(queue, async () => undefined);
    const batches = await backend.consumeBatches(queue, () => 2, async () => ({ failedIds: [] })); // the other 3, until empty

    await new Promise((resolve) => setTimeout(resolve, 1500));
    const after = await backend.rates(queue, 2);

    // The minute may turn during the test: compare the sums of the two minutes read.
    expect(sum(after.pushed) - sum(before.pushed)).toBe(5);
    expect(batches.acked).toBe(3);
    expect(sum(after.acked) - sum(before.acked)).toBe(5);
    expect(after.pushed).toHaveLength(2);
    expect(after.start.getTime()).toBe((thisMinute() - 1) * 60_000);
  });

  it('should keep each minute in its own key that expires after the kept history', async () => {
    await backend.push(queue, { n: 6 });
    await new Promise((resolve) => setTimeout(resolve, 1500));

    const ttl = await redis.ttl(rateKey(queue, thisMinute()));

    expect(ttl).toBeGreaterThan(RATE_MINUTES_KEPT * 60 - 10);
    expect(ttl).toBeLessThanOrEqual(RATE_MINUTES_KEPT * 60);
  });

  it('should write what is still counted when the backend closes', async () => {
    const other = new RedisQueueBackend({ url: REDIS_URL });
    const before = await backend.rates(queue, 1);

    await other.push(queue, { n: 7 });
    await other.close();

    const after = await backend.rates(queue, 1);
    expect(after.pushed[0]! - (after.start.getTime() === before.start.getTime() ? before.pushed[0]! : 0)).toBe(1);
  });

  it('should count the dead letters a redrive takes back in as pushed', async () => {
    const redriven = `${queue}-redrive`;
    used.push(redriven);
    // One delivery only, over the same client (and so the same counter): a released message is dead at the next lease.
    const once = new RedisQueueBackend({ redis, defaults: { maxReceiveCount: 1 } });
    const before = await once.rates(redriven, 2);
    await once.push(redriven, { n: 1 });
    const [leased] = await once.lease(redriven);
    await once.release(redriven, leased!.receipt);
    expect(await once.lease(redriven)).toEqual([]);
    expect((await once.stats(redriven)).dead).toBe(1);

    const moved = await once.redriveDeadLetters(redriven, { perSecond: 1000 });
    await once.popAtomic(redriven, async () => undefined);
    await once.close();

    const after = await backend.rates(redriven, 2);
    expect(moved).toBe(1);
    expect(sum(after.pushed) - sum(before.pushed)).toBe(2);
    expect(sum(after.acked) - sum(before.acked)).toBe(1);
  });

  it("should count a partitioned consumer's fenced acks on its partition queues", async () => {
    const spec = { queue: `${queue}-parts`, partitions: 2, partitionKey: 'key' };
    const partitionQueues = [0, 1].map((p) => partitionQueueName(spec.queue, p));
    used.push(...partitionQueues);
    const handled: string[] = [];
    const consumer = new PartitionedConsumer({
      redis,
      backend,
      spec,
      consumerId: 'rates-test',
      leaseMs: 900,
      logger: createLogger({ component: 'test' }, { level: 'silent' }),
      handler: async (body) => {
        handled.push(String(body.key));
      },
    });
    const before = await Promise.all(partitionQueues.map((q) => backend.rates(q, 2)));
    await consumer.start();

    await new PartitionedQueue(backend, spec).pushBatch(['a', 'b', 'c', 'd', 'e'].map((key) => ({ key })));
    await waitUntil(async () => handled.length === 5, 10_000);
    await consumer.close();

    const after = await Promise.all(partitionQueues.map((q) => backend.rates(q, 2)));
    const total = (rates: typeof after, field: 'pushed' | 'acked') => sum(rates.map((r) => sum(r[field])));
    expect(total(after, 'pushed') - total(before, 'pushed')).toBe(5);
    expect(total(after, 'acked') - total(before, 'acked')).toBe(5);
    await redis.del(partitionMembersKey(spec.queue), ...partitionQueues.flatMap((q) => [partitionOwnerKey(q), partitionFenceKey(q)]));
  });
});
