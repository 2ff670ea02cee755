/**
 * Settings of the consumer runner and of the jobs around the `damaged` store. Defaults are the
 * legacy deployment's: a retryable failure comes back after 20 minutes while the message is
 * younger than 200 minutes.
 */
import { defineConfig, env } from '../config';
import { definedQueueNames } from '../queue/definitions';

export const consumerConfig = defineConfig({
  /** How long a retryable failure waits in `damaged` before `requeue-damaged` pushes it back. */
  REQUEUE_DELAY_SECONDS: env.int(1200, { min: 0 }).describe('retry date of a `RetryableError`: this long after the failure'),
  /** Past this age (from source_enqueued_time, else date) a retryable failure is stored for a person. */
  REQUEUE_MAX_AGE_SECONDS: env.int(12000, { min: 0 }).describe('older messages are stored without a retry date (for a person)'),
  /** At most this many due rows go back onto their queues per `requeue-damaged` run. */
  REQUEUE_DAMAGED_LIMIT: env.int(500, { min: 1 }).describe('rows `requeue-damaged` pushes back per run'),
  /** Queues whose dead-letter lists `collect-dead-letters` empties into `damaged`: every defined queue. */
  DEAD_LETTER_QUEUES: env.list(definedQueueNames()).describe('queues whose dead letters `collect-dead-letters` moves to `damaged` (default: every queue of queues/definitions.json)'),
  /** At most this many dead letters are moved per queue per `collect-dead-letters` run. */
  COLLECT_DEAD_LETTERS_LIMIT: env.int(1000, { min: 1 }).describe('dead letters moved per queue per run'),
});

export type ConsumerConfig = ReturnType<typeof consumerConfig>;
