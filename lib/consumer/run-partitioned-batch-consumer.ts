/**
 * The batch consumer loop over a partitioned queue on Redis (docs/queue.md, Partitions): the run
 * joins the queue's consumer group as one PartitionedConsumer for its time budget, so that several
 * runs at once (scheduled runs that overlap, several processes) share the partitions, each
 * partition's messages handled in order by one of them. Each batch is up to `batchSize` in-order
 * messages of one partition, handed to `handleBatch` and settled exactly as runBatchConsumer
 * settles them (settleBatch); the settled ones are acked with the partition's next lease.
 *
 * The run first empties the plain queue of the same name (runBatchConsumer, within the same
 * limits): what was pushed there before the queue was declared partitioned, or by a legacy RPUSH
 * producer, is older than anything in the partitions, and would otherwise be stranded. When there
 * is none that costs one empty lease.
 *
 * The run ends at its time limit, once `messageLimit` messages were settled (checked between
 * batches, so it may settle up to a batch per owned partition more), or, without `wait`, once the
 * queue is drained. When the database or the damaged store is unreachable the unsettled messages
 * go back to their places, the run leaves the group and rejects with the InfrastructureError.
 */
import type { Cluster, Redis } from 'ioredis';
import { InfrastructureError } from '../errors';
import { createLogger } from '../log';
import { PartitionedConsumer, partitionedQueueDrained, type PartitionSpec } from '../queue/partitions';
import { RunBudget } from './run-budget';
import { runBatchConsumer, settleBatch, settleContextOf, type BatchConsumerOptions, type ConsumerCounts } from './run-batch-consumer';

export interface PartitionedBatchConsumerOptions extends Omit<BatchConsumerOptions, 'queue'> {
  /** The Redis the queue backend runs on (the partition leases live beside the messages). */
  redis: Redis | Cluster;
  /** The partitioned queue (definedPartitionSpec of its name). */
  spec: PartitionSpec;
  /** Partition lease lifetime (the PartitionedConsumer's default when absent). */
  leaseMs?: number;
  /** Most batches this run handles at once over its partitions (one per owned partition when absent). */
  concurrency?: number;
}

/** How often the run looks at its limits and, without `wait`, whether the queue is drained. */
const CHECK_MS = 100;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Consumes the partitioned queue `spec.queue` as a member of its consumer group until a limit is
 * reached or (without `wait`) the queue is drained; resolves with counts, rejects with an
 * InfrastructureError (after giving back what it held) when a dependency is down.
 */
export async function runPartitionedBatchConsumer(options: PartitionedBatchConsumerOptions): Promise<ConsumerCounts> {
  const { backend, spec, handleBatch } = options;
  const queue = spec.queue;
  const timeLimitMs = (options.timeLimitSeconds ?? 0) * 1000;
  const messageLimit = options.messageLimit ?? 0;
  if (!Number.isInteger(options.batchSize) || options.batchSize < 1) throw new RangeError('batchSize must be a whole number of at least 1');
  const budget = new RunBudget({ count: messageLimit, countLimit: 'message-limit', timeMs: timeLimitMs });
  const wait = Boolean(options.wait) && budget.bounded;
  const logger = options.logger ?? createLogger({ component: 'consumer', queue });
  const context = settleContextOf({ ...options, queue }, logger);
  // Its own run line says which part it was, beside this run's own at the end.
  const plainPart = await runBatchConsumer({ ...options, queue, wait: false, logger: logger.child({ part: 'plain queue of the name, first' }) });
  const counts: ConsumerCounts = { ...plainPart, stoppedBecause: 'empty' };
  const limitReachedBefore = budget.exhausted(counts.processed);
  if (limitReachedBefore) return { ...counts, stoppedBecause: limitReachedBefore };
  let failure: InfrastructureError | undefined;

  const member = new PartitionedConsumer({
    redis: options.redis,
    backend,
    spec,
    logger,
    leaseMs: options.leaseMs,
    concurrency: options.concurrency,
    batch: options.batchSize,
    // Past a limit or a failure the member stops at once: what it leased and did not hand over
    // goes back untouched, its deliveries not spent, for the next run.
    shouldStop: () => failure !== undefined || budget.exhausted(counts.processed) !== null,
    // The deliveries as leased: settleBatch parses them, so that a body that is not a JSON object
    // goes to `damaged` with its raw text and the partition goes on, as on an unpartitioned queue.
    handleBatch: async (deliveries) => {
      const { settled, error, outage } = await settleBatch(deliveries, handleBatch, context, counts);
      failure ??= error;
      return { failures: new Map(deliveries.filter((d) => !settled.has(d.id)).map((d) => [d.id, error])), uncounted: outage };
    },
  });
  await member.start();
  try {
    for (;;) {
      if (failure) break;
      const limitReached = budget.exhausted(counts.processed);
      if (limitReached) {
        counts.stoppedBecause = limitReached;
        break;
      }
      await sleep(CHECK_MS);
      if (!wait && (await partitionedQueueDrained(backend, spec))) {
        counts.stoppedBecause = 'empty';
        break;
      }
    }
  } finally {
    await member.close();
  }
  if (failure) {
    logger.error({ queue }, 'infrastructure failure: messages released, run stopped');
    throw failure;
  }
  logger.info({ queue, ...counts, seconds: budget.elapsedMs() / 1000 }, 'consumer run finished');
  return counts;
}
