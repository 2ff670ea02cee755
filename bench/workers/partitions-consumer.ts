/**
 * One consumer process of bench/partitions.ts. MODE says what it consumes: `partitioned` (a
 * PartitionedConsumer of the queue's group), `plain` (popAtomic loops on the unpartitioned queue)
 * or `bullmq` (a BullMQ Worker); each with CONCURRENCY handlers at once, each handler waiting
 * HANDLER_MS (a simulated database) and recording the message in Redis (RPUSH `order_id:n` onto
 * DONE_KEY, so that the bench counts and checks the order of what was processed). Prints
 * `ready` once it consumes; runs until killed (the rebalance scenario SIGKILLs one).
 *
 * Environment: REDIS_URL, MODE, QUEUE, PARTITIONS, CONCURRENCY, HANDLER_MS, DONE_KEY, LEASE_MS,
 * CONSUMER_ID.
 */
import { Worker } from 'bullmq';
import Redis from 'ioredis';
import { createQueueBackend } from '../../lib/queue';
import { createLogger } from '../../lib/log';
import { PartitionedConsumer } from '../../lib/queue/partitions';

const env = process.env;
const { REDIS_URL, MODE, QUEUE, DONE_KEY } = env;
if (!REDIS_URL || !MODE || !QUEUE || !DONE_KEY) throw new Error('REDIS_URL, MODE, QUEUE and DONE_KEY are required');
const concurrency = Number(env.CONCURRENCY ?? '1');
const handlerMs = Number(env.HANDLER_MS ?? '1');

const client = new Redis(REDIS_URL);
const counter = new Redis(REDIS_URL);
const work = async (body: Record<string, unknown>) => {
  await new Promise((resolve) => setTimeout(resolve, handlerMs));
  await counter.rpush(DONE_KEY, `${String(body.order_id)}:${String(body.n)}`);
};

async function main(): Promise<void> {
  if (MODE === 'bullmq') {
    const worker = new Worker(QUEUE!, (job) => work(job.data as Record<string, unknown>), { connection: { url: REDIS_URL }, concurrency });
    await worker.waitUntilReady();
    return;
  }
  const backend = createQueueBackend({ backend: 'redis', redis: { redis: client, defaults: { maxReceiveCount: 1000 } } });
  if (MODE === 'partitioned') {
    const consumer = new PartitionedConsumer({
      redis: client,
      backend,
      spec: { queue: QUEUE!, partitions: Number(env.PARTITIONS), partitionKey: 'order_id' },
      consumerId: env.CONSUMER_ID,
      leaseMs: Number(env.LEASE_MS ?? '3000'),
      concurrency,
      maxReceiveCount: 1000,
      logger: createLogger({ component: 'bench' }, { level: 'error' }),
      handler: work,
    });
    await consumer.start();
    return;
  }
  for (let c = 0; c < concurrency; c += 1) {
    void (async () => {
      for (;;) {
        const result = await backend.popAtomic(QUEUE!, work);
        if (result.status === 'empty') await backend.waitForMessage(QUEUE!, 1000);
      }
    })();
  }
}

main().then(
  () => console.log('ready'),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
