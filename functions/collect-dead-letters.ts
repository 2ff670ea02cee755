/**
 * Trigger: schedule (serverless.yml, `collectDeadLettersSchedule`).
 * Guarantee: the dead-lettered messages of every queue in DEAD_LETTER_QUEUES (at most
 * COLLECT_DEAD_LETTERS_LIMIT per queue per run) are stored in `damaged` and only then deleted
 * from the queue; a crash in between duplicates a row, never loses a message. Fails the
 * invocation when Redis or the database is unreachable.
 */
import { collectDeadLetters, type CollectDeadLettersCounts } from '../lib/consumer/collect-dead-letters';
import { consumerConfig } from '../lib/consumer/config';
import { createHandlerRuntime } from '../lib/handler-runtime';

const runtime = createHandlerRuntime('collect-dead-letters');

export const handler = (): Promise<CollectDeadLettersCounts> =>
  runtime.run(({ backend, damagedStore }) => {
    const { DEAD_LETTER_QUEUES, COLLECT_DEAD_LETTERS_LIMIT } = consumerConfig();
    return collectDeadLetters({ backend, damagedStore, queues: DEAD_LETTER_QUEUES, limitPerQueue: COLLECT_DEAD_LETTERS_LIMIT });
  });
