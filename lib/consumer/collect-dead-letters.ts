/**
 * The `collect-dead-letters` job: messages that crashed or timed out a consumer more than
 * `maxReceiveCount` times sit in their queue's dead-letter list; this job moves them into
 * `damaged`, so that people have one place to look. Store first, delete second: a crash in
 * between duplicates a row, it never loses a message. Bounded per queue per run. A partitioned
 * queue's dead letters sit in each of its partition queues (docs/queue.md, Partitions) and in the
 * plain queue of its name, which each partitioned run empties first (queueStorage, as the console
 * and the alarms count them): they are collected from every one, under the queue's own name, so
 * that requeue-damaged routes them back by their key.
 */
import { createLogger, type Logger } from '../log';
import { definedPartitionSpec, queueStorage, type PartitionSpec } from '../queue/partitions';
import type { QueueBackend } from '../queue/types';
import type { DamagedStore } from './damaged-store';
import { RunBudget } from './run-budget';

export interface CollectDeadLettersOptions {
  backend: QueueBackend;
  damagedStore: DamagedStore;
  queues: string[];
  /** Most dead letters moved per queue per run; 0: no limit. */
  limitPerQueue: number;
  /** Dead letters read per round trip. */
  chunkSize?: number;
  /** Which queues are partitioned, and how (queues/definitions.json by default). */
  partitionSpecOf?: (queue: string) => PartitionSpec | undefined;
  logger?: Logger;
}

/** Per queue, how many dead letters went into `damaged`. */
export type CollectDeadLettersCounts = Record<string, number>;

/** Moves each queue's dead letters into `damaged`; rejects on an infrastructure failure. */
export async function collectDeadLetters(options: CollectDeadLettersOptions): Promise<CollectDeadLettersCounts> {
  const { backend, damagedStore, queues, limitPerQueue } = options;
  const chunkSize = Math.max(1, options.chunkSize ?? 100);
  const logger = options.logger ?? createLogger({ component: 'collect-dead-letters' });
  // A count limit per queue, no time limit: each queue's letters are counted on their own.
  const budget = new RunBudget({ count: limitPerQueue, countLimit: 'message-limit', timeMs: 0 });
  const specOf = options.partitionSpecOf ?? definedPartitionSpec;
  const counts: CollectDeadLettersCounts = {};
  for (const queue of queues) {
    let moved = 0;
    for (const source of queueStorage(backend, queue, specOf)) {
      while (!budget.exhausted(moved)) {
        const letters = await backend.readDeadLetters(source, budget.nextBatch(moved, chunkSize));
        if (letters.length === 0) break;
        for (const letter of letters) {
          await damagedStore.insert({
            queue,
            body: letter.body,
            error: `exceeded maxReceiveCount after ${letter.receiveCount} deliveries`,
            trace: null,
            originalDate: new Date(letter.enqueuedAt),
          });
        }
        await backend.deleteDeadLetters(
          source,
          letters.map((letter) => letter.id),
        );
        moved += letters.length;
      }
    }
    counts[queue] = moved;
  }
  logger.info({ moved: counts }, 'collect-dead-letters finished');
  return counts;
}
