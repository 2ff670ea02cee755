/**
 * The `consume-contribution-tracking` run: batches from the contribution tracking queue into
 * the event log and the summary (batch-writer.ts), through the shared consumer runner, which
 * stores rejected messages in `damaged` and releases everything when the database is down.
 *
 * The queue is partitioned by tracking id (queues/definitions.json): on Redis a run is a member
 * of the queue's consumer group (runPartitionedBatchConsumer), so several runs at once share the
 * partitions, each id's messages handled in push order by one of them, and each writes under its
 * partitions' writer locks (transaction.ts); like every partitioned run it first empties the plain
 * queue of the same name, so that the switch strands nothing. An unpartitioned queue, or one on
 * SQS (one FIFO queue, read by its name), is consumed by the plain loop alone.
 */
import type { Redis } from 'ioredis';
import type { Pool } from 'mysql2/promise';
import type { DamagedStore } from '../consumer/damaged-store';
import type { RetryPolicy } from '../consumer/retry-policy';
import { runBatchConsumer, type BatchFailures, type BatchMessage, type ConsumerCounts } from '../consumer/run-batch-consumer';
import { runPartitionedBatchConsumer } from '../consumer/run-partitioned-batch-consumer';
import { databaseAnswers, drizzleOn } from '../db/client';
import { DropMessageError } from '../errors';
import type { Logger } from '../log';
import { runSqsEventBatch } from '../consumer/run-sqs-event';
import { QueueUsageError } from '../queue/errors';
import type { PartitionSpec } from '../queue/partitions';
import type { SqsBatchResponse, SqsEvent } from '../queue/sqs/lambda-event';
import type { QueueBackend } from '../queue/types';
import { prepareTrackingBatch, writeTrackingBatch } from './batch-writer';
import { seedTrackingIdSequenceFromDatabase } from './id-sequence-seed';

export interface TrackingConsumerOptions {
  backend: QueueBackend;
  pool: Pool;
  /**
   * The id sequence's Redis; the run reseeds it above the database's highest id. On a partitioned
   * queue it is also where the partition leases live: the queue backend's own Redis (one socket
   * with it, lib/runtime/clients/redis.ts).
   */
  redis?: Redis;
  /** The queue's partitions (definedPartitionSpec of `queue`); absent: an unpartitioned queue. */
  partitionSpec?: PartitionSpec;
  /** Partition lease lifetime of a partitioned run (the PartitionedConsumer's default when absent). */
  partitionLeaseMs?: number;
  damagedStore: DamagedStore;
  retryPolicy: RetryPolicy;
  logger: Logger;
  queue: string;
  sequenceKey: string;
  batchSize: number;
  timeLimitSeconds: number;
  messageLimit: number;
}

/** A redelivered message already in the event log: acked without a write. */
export class DuplicateTrackingMessageError extends DropMessageError {}

/** One consumer run; resolves with the runner's counts, rejects when a dependency is down. */
export async function consumeContributionTracking(options: TrackingConsumerOptions): Promise<ConsumerCounts> {
  const { pool, logger, partitionSpec } = options;
  if (options.redis) await seedTrackingIdSequenceFromDatabase(options.redis, pool, options.sequenceKey);
  const run = {
    backend: options.backend,
    batchSize: options.batchSize,
    timeLimitSeconds: options.timeLimitSeconds,
    messageLimit: options.messageLimit,
    damagedStore: options.damagedStore,
    retryPolicy: options.retryPolicy,
    logger,
    dependenciesReachable: () => databaseAnswers(drizzleOn(pool)),
    handleBatch: trackingBatchHandler(pool, logger, partitionSpec),
  };
  const prepareBatch = (messages: BatchMessage[]) => prepareTrackingBatch(messages.map(({ body }) => body));
  if (!partitionSpec || options.backend.capabilities.messageGroups) return runBatchConsumer({ ...run, queue: options.queue, prepareBatch });
  if (!options.redis) throw new QueueUsageError(`consume ${options.queue}: a partitioned queue on Redis needs the queue's Redis for its partition leases`);
  return runPartitionedBatchConsumer({ ...run, prepareBatch, redis: options.redis, spec: partitionSpec, leaseMs: options.partitionLeaseMs });
}

/**
 * One batch into the event log and the summary in one transaction (batch-writer.ts), each message
 * then reported by its outcome: rejected ones with their error, redelivered ones as duplicates.
 * Shared by the scheduled run and the SQS-triggered one, so both settle alike.
 */
function trackingBatchHandler(pool: Pool, logger: Logger, partitionSpec: PartitionSpec | undefined): (messages: BatchMessage[]) => Promise<BatchFailures> {
  return async (messages) => {
    const outcomes = await writeTrackingBatch(
      pool,
      messages.map(({ body, delivery }) => ({ key: delivery.id, body: delivery.body, parsed: body })),
      logger,
      partitionSpec,
    );
    const failures: BatchFailures = new Map();
    for (const [key, outcome] of outcomes) {
      if (outcome.status === 'rejected') failures.set(key, outcome.error);
      else if (outcome.status === 'duplicate') failures.set(key, new DuplicateTrackingMessageError('already in the event log'));
    }
    return failures;
  };
}

export interface TrackingSqsEventOptions {
  pool: Pool;
  damagedStore: DamagedStore;
  retryPolicy: RetryPolicy;
  logger: Logger;
  /** The logical queue name recorded in `damaged`. */
  queue: string;
  /**
   * The queue's partitions (definedPartitionSpec of `queue`): a batch of the FIFO queue spans
   * several message groups, and takes the writer locks of their partitions in ascending order.
   */
  partitionSpec?: PartitionSpec;
}

/**
 * `consume-contribution-tracking-sqs`: one SQS event's parseable records written in one
 * transaction, as a batch of the scheduled run is; then each record is settled by its own outcome
 * (rejected and unparseable ones to `damaged`, duplicates dropped), and when the database is down
 * every record is reported for redelivery.
 */
export function consumeContributionTrackingSqsEvent(event: SqsEvent, options: TrackingSqsEventOptions): Promise<SqsBatchResponse> {
  const { pool, logger, queue } = options;
  return runSqsEventBatch(event, trackingBatchHandler(pool, logger, options.partitionSpec), { damagedStore: options.damagedStore, retryPolicy: options.retryPolicy, logger, queue });
}
