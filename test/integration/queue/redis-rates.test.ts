/**
 * Per-minute traffic counts of a Redis queue (lib/queue/redis/rate-counter.ts): pushes counted
 * once stored, acks once settled (stale receipts not), on every path a consumer acks through;
 * written within a second, read back per minute. Real Redis.
 */
import { randomBytes } from 'node:crypto';
import Redis from 'ioredis';
import { RedisQueueBackend } from '../../../lib/queue';
import { rateKey } from '../../../lib/queue/redis/keys';
import { RATE_MINUTES_KEPT } from '../../../lib/queue/redis/rate-counter';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

describe('RedisQueueBackend rates', () => {
  let redis: Redis;
  let backend: RedisQueueBackend;
  const queue = `itest-rates-${randomBytes(4).toString('hex')}`;
  const thisMinute = () => Math.floor(Date.now() / 60_000);

  beforeAll(() => {
    redis = new Redis(REDIS_URL);
    backend = new RedisQueueBackend({ redis, defaults: { maxReceiveCount: 5 } });
  });

  afterAll(async () => {
    await backend.purge(queue);
    const keys = await redis.keys(`{${queue}}:rate:*`);
    if (keys.length > 0) await redis.del(...keys);
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
    const sum = (values: number[]) => values.reduce((a, b) => a + b, 0);
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
});
