/**
 * The `requeue-damaged` job: rows of `damaged` whose retry date has passed go back onto their
 * original queue, with their original body (so the original `source_enqueued_time` keeps
 * counting their age), and are then deleted. Push first, delete second: a crash in between
 * duplicates a message, it never loses one. Bounded per run. A row of a partitioned queue goes
 * back through its routing (queueProducer; docs/queue.md, Partitions), to its key's partition.
 * A row the queue refuses (too large, no partition key: MessageRefusedError), like a row whose body
 * is not a JSON object, gets its retry date cleared and stays for a person; the run goes on, so
 * that one such row, oldest due and so first in every run, cannot hold back the retries behind it.
 */
import { MalformedMessageError } from '../errors';
import { createLogger, type Logger } from '../log';
import { definedPartitionSpec, queueProducer, type PartitionSpec } from '../queue/partitions';
import { MessageRefusedError } from '../queue/errors';
import type { QueueBackend } from '../queue/types';
import type { DamagedStore } from './damaged-store';
import { parseBody } from './settle';

export interface RequeueDamagedOptions {
  backend: QueueBackend;
  damagedStore: DamagedStore;
  /** Most rows moved per run. */
  limit: number;
  logger?: Logger;
  now?: Date;
  /** Which queues are partitioned, and how (queues/definitions.json by default). */
  partitionSpecOf?: (queue: string) => PartitionSpec | undefined;
}

export interface RequeueDamagedCounts {
  /** Rows pushed back onto their queue and deleted. */
  requeued: number;
  /** Due rows whose body is not a JSON object or that the queue refuses: their retry date is cleared, they stay for a person. */
  unrequeueable: number;
  /** Per original queue, how many went back. */
  byQueue: Record<string, number>;
}

/** Pushes due rows back onto their queues and deletes them; rejects on an infrastructure failure. */
export async function requeueDamaged(options: RequeueDamagedOptions): Promise<RequeueDamagedCounts> {
  const { backend, damagedStore, limit } = options;
  const logger = options.logger ?? createLogger({ component: 'requeue-damaged' });
  const rows = await damagedStore.listDueForRetry(options.now ?? new Date(), limit);
  const counts: RequeueDamagedCounts = { requeued: 0, unrequeueable: 0, byQueue: {} };
  const specOf = options.partitionSpecOf ?? definedPartitionSpec;
  for (const row of rows) {
    try {
      await queueProducer(backend, row.originalQueue, specOf).push(parseBody(row.message));
    } catch (error) {
      if (!(error instanceof MalformedMessageError || error instanceof MessageRefusedError)) throw error;
      logger.warn({ damagedId: row.id, queue: row.originalQueue, error: error.name, reason: error.message }, 'due damaged row cannot be requeued; retry date cleared');
      await damagedStore.clearRetryDate(row.id);
      counts.unrequeueable += 1;
      continue;
    }
    await damagedStore.deleteByIds([row.id]);
    counts.requeued += 1;
    counts.byQueue[row.originalQueue] = (counts.byQueue[row.originalQueue] ?? 0) + 1;
  }
  logger.info({ ...counts, due: rows.length, limit }, 'requeue-damaged finished');
  return counts;
}
