/**
 * Many popAtomic callers on one backend at once (how a consumer with concurrency 64 runs): the
 * backend merges their leases and acks into batch calls, and each caller must still see exactly
 * the contract of a lone popAtomic.
 */
import { randomBytes } from 'node:crypto';
import Redis from 'ioredis';
import { coreConfig } from '../../../lib/config';
import type { QueueBackend } from '../../../lib/queue/types';
import { redisQueueOn } from '../../support/redis-queue';

describe('Redis queue with concurrent popAtomic callers', () => {
  const queue = `concurrent-${process.pid}-${randomBytes(4).toString('hex')}`;
  let client: Redis;
  let backend: QueueBackend;

  beforeAll(() => {
    client = new Redis(coreConfig().REDIS_URL);
    backend = redisQueueOn(client, { visibilityTimeoutSeconds: 30, maxReceiveCount: 5 });
  });

  afterAll(async () => {
    await backend.purge(queue);
    await client.del(`{${queue}}:seq`);
    await backend.close();
    client.disconnect();
  });

  it('should give each of 64 concurrent callers a distinct message in queue order, ack the successes and keep the failures', async () => {
    // arrange
    await backend.pushBatch(queue, Array.from({ length: 64 }, (_, n) => ({ n })));
    const failing = new Set([5, 17, 42]);

    // act
    const results = await Promise.allSettled(
      Array.from({ length: 64 }, () =>
        backend.popAtomic(queue, async (body) => {
          if (failing.has(Number(body.n))) throw new Error(`handler failed on ${String(body.n)}`);
          return Number(body.n);
        }),
      ),
    );

    // assert
    const done = results.flatMap((r) => (r.status === 'fulfilled' && r.value.status === 'done' ? [r.value.value] : []));
    const failed = results.flatMap((r) => (r.status === 'rejected' ? [(r.reason as Error).message] : []));
    expect(done).toEqual(Array.from({ length: 64 }, (_, n) => n).filter((n) => !failing.has(n)));
    expect(failed.sort()).toEqual(['handler failed on 17', 'handler failed on 42', 'handler failed on 5']);
    // the failures went back; popAtomic may have prefetched them with later acks, and a prefetch
    // nobody claims returns to its place within 50 ms, its receive count unchanged
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(await backend.stats(queue)).toMatchObject({ ready: 3, inFlight: 0 });
    // released messages go back to their places, so they come out in queue order
    const retried = await Promise.all([1, 2, 3, 4].map(() => backend.popAtomic(queue, async (body) => Number(body.n))));
    expect(retried.filter((r) => r.status === 'empty')).toHaveLength(1);
    expect(retried.flatMap((r) => (r.status === 'done' ? [r.value] : [])).sort((a, b) => a - b)).toEqual([5, 17, 42]);
    expect(retried.flatMap((r) => (r.status === 'done' ? [r.delivery.receiveCount] : []))).toEqual([2, 2, 2]);
  });
});
