/**
 * A queue consumer that runs as a process of its own, so that the crash-safety test can kill it
 * with SIGKILL at any moment. It records each processed message's `n` (RPUSH onto a Redis list)
 * BEFORE acking it, which is what an idempotent real consumer does with its side effect: the
 * record shows what was processed, duplicates included. Runs until killed.
 *
 * Environment: REDIS_URL, QUEUE, PROCESSED_KEY, BATCH (messages per lease),
 * VISIBILITY_SECONDS, MODE = 'lease' (lease with piggybacked acks) | 'batch' (popAtomicBatch).
 * Started as `node -r tsx/cjs test/support/queue-consumer-child.ts`.
 */
import Redis from 'ioredis';
import type { Delivery } from '../../lib/queue/types';
import { redisQueueOn } from './redis-queue';

const { REDIS_URL, QUEUE, PROCESSED_KEY, BATCH = '50', VISIBILITY_SECONDS = '2', MODE = 'lease' } = process.env;
if (!REDIS_URL || !QUEUE || !PROCESSED_KEY) throw new Error('REDIS_URL, QUEUE and PROCESSED_KEY are required');
const max = Number(BATCH);
const visibilityTimeoutSeconds = Number(VISIBILITY_SECONDS);

const client = new Redis(REDIS_URL);
const recorder = new Redis(REDIS_URL);
const backend = redisQueueOn(client, { visibilityTimeoutSeconds, maxReceiveCount: 1000 });

async function record(deliveries: Delivery[]): Promise<void> {
  const ns = deliveries.map((d) => String((JSON.parse(d.body) as { n: number }).n));
  await recorder.rpush(PROCESSED_KEY!, ...ns);
}

async function leaseLoop(): Promise<never> {
  let ack: string[] = [];
  for (;;) {
    const deliveries = await backend.lease(QUEUE!, { max, visibilityTimeoutSeconds, ack });
    ack = [];
    if (deliveries.length === 0) {
      await backend.waitForMessage(QUEUE!, 200);
      continue;
    }
    await record(deliveries);
    ack = deliveries.map((d) => d.receipt);
  }
}

async function batchLoop(): Promise<never> {
  for (;;) {
    const result = await backend.popAtomicBatch(QUEUE!, max, async (deliveries) => {
      await record(deliveries);
      return { failedIds: [] };
    });
    if (result.leased === 0) await backend.waitForMessage(QUEUE!, 200);
  }
}

(MODE === 'batch' ? batchLoop() : leaseLoop()).catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
