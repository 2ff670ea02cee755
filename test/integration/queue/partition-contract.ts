/**
 * The partitioned queue contract (docs/queue.md, Partitions) as a reusable suite: per-key order
 * with several consumers at once, failures and redeliveries included; a message without its key
 * refused or sent to the declared default. Every backend runs the same cases: Redis (partition
 * queues and PartitionedConsumer), a Redis Cluster, SQS FIFO on the emulator (one FIFO queue,
 * MessageGroupId = the key, consumed by Lambda's event source and the SQS event runner).
 *
 *   describePartitionContract('redis', async (spec) => ({ queue, startConsumer, drained, cleanup }));
 */
import { InfrastructureError } from '../../../lib/errors';
import { PartitionKeyMissingError } from '../../../lib/queue/errors';
import type { PartitionedQueue, PartitionSpec } from '../../../lib/queue/partitions';
import type { MessageBody } from '../../../lib/queue/types';
import { OrderChecker, interleavedMessages, waitUntil } from '../../support/partitions';

/** A consumer's handler: resolves when the message is done; a throw makes it come back, first of its key. */
export type ContractHandler = (body: MessageBody) => Promise<void>;

export interface PartitionContractQueue {
  /** The producer side over the backend under test. */
  queue: PartitionedQueue;
  /** Starts one more consumer of the queue's group (resolves once it consumes); stopped by cleanup. */
  startConsumer(handler: ContractHandler): Promise<void>;
  /** True when nothing of the queue is ready, in flight or delayed. */
  drained(): Promise<boolean>;
  /** Stops the consumers and deletes what the queue holds. */
  cleanup(): Promise<void>;
}

/** Builds a fresh, empty partitioned queue for `spec` (its name is unique to the test). */
export type PartitionContractFactory = (spec: Omit<PartitionSpec, 'queue'>) => Promise<PartitionContractQueue>;

/** Runs the partition contract against the backend `factory` builds. */
export function describePartitionContract(label: string, factory: PartitionContractFactory, options: { timeoutMs?: number } = {}): void {
  const timeoutMs = options.timeoutMs ?? 60_000;
  jest.setTimeout(timeoutMs + 10_000);

  describe(`partitioned queue contract (${label})`, () => {
    let opened: PartitionContractQueue[] = [];

    async function open(spec: Omit<PartitionSpec, 'queue'>): Promise<PartitionContractQueue> {
      const made = await factory(spec);
      opened.push(made);
      return made;
    }

    afterEach(async () => {
      const toClean = opened;
      opened = [];
      for (const made of toClean) await made.cleanup();
    });

    /** A handler that checks per-key order and fails every `failEvery`-th call as a down database would. */
    function checkingHandler(checker: OrderChecker, failEvery: number): ContractHandler {
      let calls = 0;
      return async (body) => {
        const key = String(body.key);
        const n = Number(body.n);
        checker.start(key, n);
        calls += 1;
        await new Promise((resolve) => setTimeout(resolve, Math.random() * 3));
        const ok = failEvery === 0 || calls % failEvery !== 0;
        checker.finish(key, n, ok);
        if (!ok) throw new InfrastructureError('induced failure: the database is unreachable');
      };
    }

    it('should keep each key in order with 3 concurrent consumers over random keys, failures and redeliveries', async () => {
      // arrange
      const made = await open({ partitions: 8, partitionKey: 'key' });
      const checker = new OrderChecker();
      const messages = interleavedMessages(30, 10);
      await made.queue.pushBatch(messages);

      // act
      for (let c = 0; c < 3; c += 1) await made.startConsumer(checkingHandler(checker, 7));
      await waitUntil(async () => checker.completed() === messages.length && (await made.drained()), timeoutMs);

      // assert
      expect(checker.violations).toEqual([]);
      expect(checker.failures).toBeGreaterThan(0);
      expect(checker.completed()).toBe(messages.length);
    });

    it('should keep the order of one key pushed one message at a time while consumers run', async () => {
      // arrange
      const made = await open({ partitions: 4, partitionKey: 'key' });
      const checker = new OrderChecker();
      for (let c = 0; c < 2; c += 1) await made.startConsumer(checkingHandler(checker, 0));

      // act
      for (let n = 0; n < 20; n += 1) await made.queue.push({ key: n % 2 === 0 ? 'ORD-even' : 'ORD-odd', n: Math.floor(n / 2) });
      await waitUntil(async () => checker.completed() === 20 && (await made.drained()), timeoutMs);

      // assert
      expect(checker.violations).toEqual([]);
    });

    it('should refuse a batch with a message without its key, storing nothing of that call', async () => {
      // arrange
      const made = await open({ partitions: 4, partitionKey: 'key' });

      // act
      const push = made.queue.pushBatch([{ key: 'a', n: 0 }, { n: 1 }]);

      // assert
      await expect(push).rejects.toBeInstanceOf(PartitionKeyMissingError);
      expect(await made.drained()).toBe(true);
    });

    it('should deliver messages without the key through the declared default partition, in push order', async () => {
      // arrange
      const made = await open({ partitions: 4, partitionKey: 'key', defaultPartition: 2 });
      const seen: number[] = [];

      // act
      await made.queue.pushBatch([{ n: 0 }, { n: 1 }, { key: '', n: 2 }]);
      await made.startConsumer(async (body) => {
        seen.push(Number(body.n));
      });
      await waitUntil(async () => seen.length === 3 && (await made.drained()), timeoutMs);

      // assert
      expect(seen).toEqual([0, 1, 2]);
    });
  });
}
