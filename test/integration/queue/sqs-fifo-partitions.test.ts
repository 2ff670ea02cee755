/**
 * Partitioned queues on SQS FIFO, on the fauxqs emulator: one FIFO queue per partitioned queue,
 * MessageGroupId = the key, consumed the way production does (Lambda's event source mapping,
 * played by test/support/sqs-event-source.ts, with the SQS event runner and its partial batch
 * responses). What fauxqs 2.4.1 does of FIFO and what these tests rely on: per-group order, a group
 * locked while one of its messages is in flight, a released or expired message back at the front
 * of its group, explicit and content-based deduplication (5 minutes, per queue), MessageGroupId
 * returned on receive. What it does not do: a receive hands out at most one message per group (AWS
 * may hand several of one group in order), so the per-group stop of a partial batch response is
 * exercised here with one record per group and in test/unit/consumer/run-sqs-event.test.ts with
 * several.
 */
import { randomBytes } from 'node:crypto';
import { DeleteQueueCommand, GetQueueAttributesCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { runSqsEventPerMessage } from '../../../lib/consumer/run-sqs-event';
import { DEFAULT_RETRY_POLICY } from '../../../lib/consumer/retry-policy';
import { createLogger } from '../../../lib/log';
import { PartitionedQueue, partitionedQueueDrained, type PartitionSpec } from '../../../lib/queue/partitions';
import { provisionQueue } from '../../../lib/queue/sqs/provision';
import type { SqsQueueBackend } from '../../../lib/queue/sqs/sqs-backend';
import { QueueUsageError } from '../../../lib/queue/errors';
import { MemoryDamagedStore } from '../../support/memory-damaged-store';
import { startTestSqs, type TestSqs } from '../../support/sqs';
import { receiveBatch, startEventSource } from '../../support/sqs-event-source';
import { describePartitionContract } from './partition-contract';

jest.setTimeout(90_000);

const quiet = createLogger({ component: 'test' }, { level: 'silent' });
let sqs: TestSqs;
let client: SQSClient;

beforeAll(async () => {
  sqs = await startTestSqs();
  client = sqs.createClient();
});
afterAll(async () => {
  client?.destroy();
  await sqs?.stop();
});

interface FifoQueue {
  name: string;
  queueUrl: string;
  deadLetterQueueUrl: string;
  queueArn: string;
  backend: SqsQueueBackend;
  remove(): Promise<void>;
}

/** A fresh FIFO queue and DLQ (visibility 1 s, so that a reported record comes back soon) and a backend on it. */
async function fifoQueue(options: { contentBasedDeduplication?: boolean; maxReceiveCount?: number } = {}): Promise<FifoQueue> {
  const name = `parts${randomBytes(4).toString('hex')}`;
  const { queueUrl, deadLetterQueueUrl } = await provisionQueue(client, sqs.queuePrefix, {
    name,
    fifo: true,
    contentBasedDeduplication: options.contentBasedDeduplication,
    visibilityTimeoutSeconds: 1,
    maxReceiveCount: options.maxReceiveCount ?? 1000,
  });
  const { Attributes } = await client.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }));
  const backend = sqs.createBackend({ defaultFifo: true });
  return {
    name,
    queueUrl,
    deadLetterQueueUrl,
    queueArn: Attributes!.QueueArn!,
    backend,
    async remove() {
      await backend.close();
      for (const url of [queueUrl, deadLetterQueueUrl]) await client.send(new DeleteQueueCommand({ QueueUrl: url }));
    },
  };
}

describePartitionContract('sqs fifo', async (partitioning) => {
  const fifo = await fifoQueue();
  const spec: PartitionSpec = { queue: fifo.name, ...partitioning };
  const sources: { stop(): Promise<void> }[] = [];
  return {
    queue: new PartitionedQueue(fifo.backend, spec),
    async startConsumer(handler) {
      const options = { damagedStore: new MemoryDamagedStore(), retryPolicy: DEFAULT_RETRY_POLICY, queue: fifo.name, logger: quiet };
      sources.push(startEventSource({ client, queueUrl: fifo.queueUrl, queueArn: fifo.queueArn, run: (event) => runSqsEventPerMessage(event, handler, options) }));
    },
    drained: () => partitionedQueueDrained(fifo.backend, spec),
    async cleanup() {
      await Promise.all(sources.map((source) => source.stop()));
      await fifo.remove();
    },
  };
});

describe('partitioned queues on SQS FIFO', () => {
  it('should send each key as its own message group, a number key as its decimal text', async () => {
    // arrange
    const fifo = await fifoQueue();
    try {
      const queue = new PartitionedQueue(fifo.backend, { queue: fifo.name, partitions: 8, partitionKey: 'order_id' });

      // act
      await queue.pushBatch([{ order_id: 'ORD-1' }, { order_id: 42 }]);
      const received = [...(await receiveBatch(client, fifo.queueUrl)), ...(await receiveBatch(client, fifo.queueUrl))];

      // assert
      expect(received.map((m) => m.Attributes!.MessageGroupId).sort()).toEqual(['42', 'ORD-1']);
    } finally {
      await fifo.remove();
    }
  });

  it('should store a push repeated with the same explicit deduplication id once', async () => {
    // arrange
    const fifo = await fifoQueue();
    try {
      const queue = new PartitionedQueue(fifo.backend, { queue: fifo.name, partitions: 8, partitionKey: 'order_id' }, { deduplicationField: 'idempotency_id' });

      // act
      await queue.push({ order_id: 'ORD-1', idempotency_id: 'push-1', attempt: 1 });
      await queue.push({ order_id: 'ORD-1', idempotency_id: 'push-1', attempt: 2 });
      await queue.push({ order_id: 'ORD-1', idempotency_id: 'push-2', attempt: 3 });

      // assert
      expect(await fifo.backend.stats(fifo.name)).toMatchObject({ ready: 2 });
    } finally {
      await fifo.remove();
    }
  });

  it('should store an identical body once on a queue with content-based deduplication, and twice without', async () => {
    // arrange
    const [content, plain] = await Promise.all([fifoQueue({ contentBasedDeduplication: true }), fifoQueue()]);
    try {
      const spec = { partitions: 8, partitionKey: 'order_id' };

      // act
      for (const fifo of [content, plain]) {
        const queue = new PartitionedQueue(fifo.backend, { queue: fifo.name, ...spec });
        await queue.push({ order_id: 'ORD-1', amount: '5.00' });
        await queue.push({ order_id: 'ORD-1', amount: '5.00' });
      }

      // assert
      expect((await content.backend.stats(content.name)).ready).toBe(1);
      expect((await plain.backend.stats(plain.name)).ready).toBe(2);
    } finally {
      await Promise.all([content.remove(), plain.remove()]);
    }
  });

  it('should refuse a delayed push: a FIFO queue has no per-message delay', async () => {
    const fifo = await fifoQueue();
    try {
      const queue = new PartitionedQueue(fifo.backend, { queue: fifo.name, partitions: 8, partitionKey: 'order_id' });

      await expect(queue.push({ order_id: 'ORD-1' }, { delaySeconds: 5 })).rejects.toBeInstanceOf(QueueUsageError);
    } finally {
      await fifo.remove();
    }
  });

  it('should redrive a dead letter back into its own message group', async () => {
    // arrange
    const fifo = await fifoQueue({ maxReceiveCount: 1 });
    try {
      const queue = new PartitionedQueue(fifo.backend, { queue: fifo.name, partitions: 8, partitionKey: 'order_id' });
      await queue.push({ order_id: 'ORD-7' });
      await receiveBatch(client, fifo.queueUrl, 10, 0); // the one receive it is allowed; visible again at once
      await receiveBatch(client, fifo.queueUrl); // a second receive moves it to the DLQ

      // act
      const moved = await fifo.backend.redriveDeadLetters(fifo.name);
      const [back] = await receiveBatch(client, fifo.queueUrl);

      // assert
      expect(moved).toBe(1);
      expect(back?.Attributes?.MessageGroupId).toBe('ORD-7');
    } finally {
      await fifo.remove();
    }
  });
});
