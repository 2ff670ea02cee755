/**
 * A member of a partitioned queue's consumer group that runs as a process of its own, so that the
 * partitions test can SIGKILL it while it owns partitions and holds a message. It records each
 * processed message as `key:n:consumerId` (RPUSH onto a Redis list) BEFORE acking it, as an idempotent real
 * consumer does its side effect, so the record shows what was processed, duplicates included.
 * Prints `ready` once it has joined. Runs until killed.
 *
 * Environment: REDIS_URL, QUEUE, PARTITIONS, PROCESSED_KEY, CONSUMER_ID, LEASE_MS, WORK_MS.
 * Run with `node -r tsx/cjs`.
 */
import Redis from 'ioredis';
import { PartitionedConsumer } from '../../lib/queue/partitions';
import { redisQueueOn } from './redis-queue';

const { REDIS_URL, QUEUE, PARTITIONS, PROCESSED_KEY, CONSUMER_ID, LEASE_MS = '900', WORK_MS = '5' } = process.env;
if (!REDIS_URL || !QUEUE || !PARTITIONS || !PROCESSED_KEY) throw new Error('REDIS_URL, QUEUE, PARTITIONS and PROCESSED_KEY are required');

const client = new Redis(REDIS_URL);
const recorder = new Redis(REDIS_URL);
const backend = redisQueueOn(client, { maxReceiveCount: 1000 });
const consumer = new PartitionedConsumer({
  redis: client,
  backend,
  spec: { queue: QUEUE, partitions: Number(PARTITIONS), partitionKey: 'key' },
  consumerId: CONSUMER_ID,
  leaseMs: Number(LEASE_MS),
  visibilityMs: 60_000,
  maxReceiveCount: 1000,
  handler: async (body) => {
    await recorder.rpush(PROCESSED_KEY, `${String(body.key)}:${String(body.n)}:${CONSUMER_ID ?? consumer.consumerId}`);
    await new Promise((resolve) => setTimeout(resolve, Number(WORK_MS)));
  },
});

consumer.start().then(
  () => console.log('ready'),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
