/**
 * The soak's record of processing against a real Redis queue and the real batch consumer: what
 * the record shows is what the at-least-once check judges, so a consumer that acks without
 * processing, or processes a message twice, must show up in it.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Redis from 'ioredis';
import { DEFAULT_RETRY_POLICY } from '../../../lib/consumer/retry-policy';
import { runBatchConsumer, type BatchMessage } from '../../../lib/consumer/run-batch-consumer';
import { runPartitionedBatchConsumer } from '../../../lib/consumer/run-partitioned-batch-consumer';
import { InfrastructureError } from '../../../lib/errors';
import { createLogger } from '../../../lib/log';
import { PartitionedQueue } from '../../../lib/queue/partitions';
import type { QueueBackend } from '../../../lib/queue/types';
import { messageHash } from '../../../lib/content-hash';
import { readDeliveryLogs, recordingBackend, recordPartitionedConsumers } from '../../../scripts/soak/delivery-log';
import { checkProcessedAtLeastOnce } from '../../../scripts/soak/invariants';
import { MemoryDamagedStore } from '../../support/memory-damaged-store';
import { redisQueueOn } from '../../support/redis-queue';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const logger = createLogger({}, { level: 'silent' });

describe('soak delivery log (Redis queue, batch consumer)', () => {
  let redis: Redis;
  let backend: QueueBackend;
  let dir: string;
  const queues: string[] = [];

  beforeAll(() => {
    redis = new Redis(REDIS_URL);
    backend = redisQueueOn(redis, { visibilityTimeoutSeconds: 1 });
    dir = mkdtempSync(path.join(tmpdir(), 'soak-delivery-log-'));
  });

  afterAll(async () => {
    for (const queue of queues) await backend.purge(queue);
    await backend.close();
    redis.disconnect();
    rmSync(dir, { recursive: true, force: true });
  });

  /** A queue holding `count` messages, and the keys the generator would have noted for them. */
  async function filledQueue(count: number): Promise<{ queue: string; keys: string[] }> {
    const queue = `itest-soak-${randomBytes(4).toString('hex')}`;
    queues.push(queue);
    const messages = Array.from({ length: count }, (_, n) => ({ n: String(n), gateway: 'adyen' }));
    await backend.pushBatch(queue, messages);
    return { queue, keys: messages.map((message) => messageHash(message)) };
  }

  const consume = (instrumented: QueueBackend, queue: string, handleBatch: (messages: BatchMessage[]) => Promise<void>) =>
    runBatchConsumer({ backend: instrumented, queue, batchSize: 10, handleBatch, damagedStore: new MemoryDamagedStore(), retryPolicy: DEFAULT_RETRY_POLICY, logger });

  it('should record every message the consumer settled, once', async () => {
    // Arrange
    const { queue, keys } = await filledQueue(40);
    const log = path.join(dir, `${queue}.jsonl`);

    // Act
    await consume(recordingBackend(backend, log), queue, async () => undefined);
    const result = checkProcessedAtLeastOnce(queue, keys, readDeliveryLogs([log]).get(queue)!, 0);

    // Assert
    expect(result.ok).toBe(true);
    expect(result.figure).toBe('40 pushed, 40 processed, 0 duplicates ≤ 0 leases in flight at faults');
  });

  it('should make the check fail when a consumer acks messages without processing them', async () => {
    // Arrange
    const { queue, keys } = await filledQueue(40);
    const log = path.join(dir, `${queue}.jsonl`);
    const instrumented = recordingBackend(backend, log);

    // Act: a broken consumer takes 10 messages off the queue without running the job on them.
    const skipped = await instrumented.lease(queue, { max: 10 });
    await instrumented.ackBatch(queue, skipped.map((delivery) => delivery.receipt));
    await consume(instrumented, queue, async () => undefined);
    const result = checkProcessedAtLeastOnce(queue, keys, readDeliveryLogs([log]).get(queue)!, 0);

    // Assert
    expect((await backend.stats(queue)).ready).toBe(0);
    expect(result.ok).toBe(false);
    expect(result.figure).toBe('40 pushed, 30 processed, 0 duplicates ≤ 0 leases in flight at faults');
  });

  it('should count a message processed again after its lease ran out as a duplicate', async () => {
    // Arrange
    const { queue, keys } = await filledQueue(5);
    const log = path.join(dir, `${queue}.jsonl`);
    const instrumented = recordingBackend(backend, log);
    let first = true;

    // Act: the first batch outlives its 1 s lease while a second consumer takes the messages.
    const slow = consume(instrumented, queue, async () => {
      if (!first) return;
      first = false;
      await new Promise((resolve) => setTimeout(resolve, 2500));
    });
    await new Promise((resolve) => setTimeout(resolve, 1500));
    await consume(instrumented, queue, async () => undefined);
    await slow.catch(() => undefined);
    const processed = readDeliveryLogs([log]).get(queue)!;

    // Assert: the duplicates are judged against the leases in flight when the lease was lost.
    expect([...processed.values()]).toEqual([2, 2, 2, 2, 2]);
    expect(checkProcessedAtLeastOnce(queue, keys, processed, 0).ok).toBe(false);
    expect(checkProcessedAtLeastOnce(queue, keys, processed, 5).ok).toBe(true);
  });

  it("should record what a partitioned queue's consumer settled, under the queue's own name, and not what it gave back", async () => {
    // Arrange: 40 messages of 5 keys over 8 partitions; the batch holding n 8 meets a database outage once
    const spec = { queue: `itest-soak-p-${randomBytes(4).toString('hex')}`, partitions: 8, partitionKey: 'key' };
    const messages = Array.from({ length: 40 }, (_, n) => ({ key: `k-${n % 5}`, n: String(n) }));
    await new PartitionedQueue(backend, spec).pushBatch(messages);
    const log = path.join(dir, `${spec.queue}.jsonl`);
    recordPartitionedConsumers(log);
    let failed = false;
    const run = () =>
      runPartitionedBatchConsumer({
        redis, backend, spec, leaseMs: 900, batchSize: 4, damagedStore: new MemoryDamagedStore(), retryPolicy: DEFAULT_RETRY_POLICY, logger,
        handleBatch: async (batch) => {
          if (!failed && batch.some(({ body }) => body.n === '8')) {
            failed = true;
            throw new InfrastructureError('database unreachable');
          }
        },
      });

    // Act
    await expect(run()).rejects.toBeInstanceOf(InfrastructureError);
    await run();
    const processed = readDeliveryLogs([log]).get(spec.queue)!;

    // Assert
    expect(checkProcessedAtLeastOnce(spec.queue, messages.map((message) => messageHash(message)), processed, 0).figure).toBe('40 pushed, 40 processed, 0 duplicates ≤ 0 leases in flight at faults');
    for (let p = 0; p < spec.partitions; p++) await backend.purge(`${spec.queue}#${p}`);
  });
});
