/**
 * A queue consumer that runs as a process of its own, so that the crash-safety test can kill it
 * with SIGKILL at any moment. It records each processed message's `n` (RPUSH onto a Redis list)
 * BEFORE acking it, which is what an idempotent real consumer does with its side effect: the
 * record shows what was processed, duplicates included. Runs until killed.
 *
 * Environment: REDIS_URL, QUEUE, PROCESSED_KEY, BATCH (messages per lease),
 * VISIBILITY_SECONDS, MODE = 'lease' (lease with piggybacked acks) | 'batch' (popAtomicBatch),
 * WORK_MS (time spent "working" after recording and before acking, so that a kill often lands
 * while leases are held). Run with `node -r tsx/cjs`, or bundled (see the crash-safety test).
 */
import Redis from 'ioredis';
import type { Delivery } from '../../lib/queue/types';
import { redisQueueOn } from './redis-queue';

const { REDIS_URL, QUEUE, PROCESSED_KEY, BATCH = '50', VISIBILITY_SECONDS = '2', MODE = 'lease', WORK_MS = '0' } = process.env;
if (!REDIS_URL || !QUEUE || !PROCESSED_KEY) throw new Error('REDIS_URL, QUEUE and PROCESSED_KEY are required');
const max = Number(BATCH);
const visibilityTimeoutSeconds = Number(VISIBILITY_SECONDS);
const workMs = Number(WORK_MS);

const client = new Redis(REDIS_URL);
const recorder = new Redis(REDIS_URL);
const backend = redisQueueOn(client, { visibilityTimeoutSeconds, maxReceiveCount: 1000 });

async function record(deliveries: Delivery[]): Promise<void> {
  const ns = deliveries.map((d) => String((JSON.parse(d.body) as { n: number }).n));
  await recorder.rpush(PROCESSED_KEY!, ...ns);
  if (workMs > 0) await new Promise((resolve) => setTimeout(resolve, workMs));
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
