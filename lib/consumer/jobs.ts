/**
 * The jobs around the `damaged` store as their functions run them (lib/job.ts): limits and queues
 * from configuration, one call each.
 */
import { defineJob } from '../job';
import type { Logger } from '../log';
import type { QueueBackend } from '../queue/types';
import { collectDeadLetters, type CollectDeadLettersCounts } from './collect-dead-letters';
import { consumerConfig } from './config';
import type { DamagedStore } from './damaged-store';
import { requeueDamaged, type RequeueDamagedCounts } from './requeue-damaged';

/** What both jobs use: the queues and the store between which they move messages. */
export interface DamagedJobDeps {
  backend: QueueBackend;
  damagedStore: DamagedStore;
  logger: Logger;
}

/** `collect-dead-letters`: each DEAD_LETTER_QUEUES queue's dead letters into `damaged`. */
export const collectDeadLettersJob = defineJob({
  options: () => {
    const { DEAD_LETTER_QUEUES, COLLECT_DEAD_LETTERS_LIMIT } = consumerConfig();
    return { queues: DEAD_LETTER_QUEUES, limitPerQueue: COLLECT_DEAD_LETTERS_LIMIT };
  },
  run: (deps: DamagedJobDeps, options): Promise<CollectDeadLettersCounts> => collectDeadLetters({ ...deps, ...options }),
  figures: (counts) => ({ deadLettered: Object.values(counts).reduce((sum, n) => sum + n, 0) }),
});

/** `requeue-damaged`: due `damaged` rows back onto their original queues. */
export const requeueDamagedJob = defineJob({
  options: () => ({ limit: consumerConfig().REQUEUE_DAMAGED_LIMIT }),
  run: (deps: DamagedJobDeps, options): Promise<RequeueDamagedCounts> => requeueDamaged({ ...deps, ...options }),
});
