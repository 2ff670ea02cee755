/**
 * The `consume-contribution-tracking` run: batches from the contribution tracking queue into
 * the event log and the summary (batch-writer.ts), through the shared consumer runner, which
 * stores rejected messages in `damaged` and releases everything when the database is down.
 */
import type { Redis } from 'ioredis';
import type { Pool } from 'mysql2/promise';
import type { DamagedStore } from '../consumer/damaged-store';
import type { RetryPolicy } from '../consumer/retry-policy';
import { runBatchConsumer, type BatchFailures, type ConsumerCounts } from '../consumer/run-batch-consumer';
import { DropMessageError } from '../errors';
import type { BaseRuntime } from '../handler-runtime';
import type { Logger } from '../log';
import type { QueueBackend } from '../queue/types';
import { writeTrackingBatch } from './batch-writer';
import { trackingConfig } from './config';
import { seedTrackingIdSequenceFromDatabase } from './id-sequence';

export interface TrackingConsumerOptions {
  backend: QueueBackend;
  pool: Pool;
  /** The id sequence's Redis; the run reseeds it above the database's highest id. */
  redis?: Redis;
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
  const { pool, logger } = options;
  if (options.redis) await seedTrackingIdSequenceFromDatabase(options.redis, pool, options.sequenceKey);
  return runBatchConsumer({
    backend: options.backend,
    queue: options.queue,
    batchSize: options.batchSize,
    timeLimitSeconds: options.timeLimitSeconds,
    messageLimit: options.messageLimit,
    damagedStore: options.damagedStore,
    retryPolicy: options.retryPolicy,
    logger,
    async handleBatch(messages) {
      const outcomes = await writeTrackingBatch(
        pool,
        messages.map(({ delivery }) => ({ key: delivery.id, body: delivery.body })),
        logger,
      );
      const failures: BatchFailures = new Map();
      for (const [key, outcome] of outcomes) {
        if (outcome.status === 'rejected') failures.set(key, outcome.error);
        else if (outcome.status === 'duplicate') failures.set(key, new DuplicateTrackingMessageError('already in the event log'));
      }
      return failures;
    },
  });
}

/** `consume-contribution-tracking` as the scheduled function runs it: queue, sequence and limits from configuration. */
export function consumeContributionTrackingJob(runtime: BaseRuntime, config: ReturnType<typeof trackingConfig> = trackingConfig()): Promise<ConsumerCounts> {
  return consumeContributionTracking({
    backend: runtime.backend,
    pool: runtime.database.pool,
    redis: runtime.redis,
    damagedStore: runtime.damagedStore,
    retryPolicy: runtime.retryPolicy,
    logger: runtime.logger,
    queue: config.TRACKING_QUEUE,
    sequenceKey: config.TRACKING_ID_SEQUENCE_KEY,
    batchSize: config.TRACKING_CONSUMER_BATCH_SIZE,
    timeLimitSeconds: config.TRACKING_CONSUMER_TIME_LIMIT,
    messageLimit: config.TRACKING_CONSUMER_MESSAGE_LIMIT,
  });
}
