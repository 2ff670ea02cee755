/**
 * Trigger: schedule (serverless.yml, `collectDeadLettersSchedule`).
 * Guarantee: the dead-lettered messages of every queue in DEAD_LETTER_QUEUES (at most
 * COLLECT_DEAD_LETTERS_LIMIT per queue per run) are stored in `damaged` and only then deleted
 * from the queue; a crash in between duplicates a row, never loses a message. Fails the
 * invocation when Redis or the database is unreachable.
 */
import { collectDeadLettersJob } from '../lib/consumer/jobs';
import { damagedStoreClient } from '../lib/runtime/clients/damaged-store';
import { queueBackendClient } from '../lib/runtime/clients/queue-backend';
import { createHandler } from '../lib/runtime/handler-runtime';

export const handler = createHandler('collect-dead-letters', collectDeadLettersJob, { backend: queueBackendClient, damagedStore: damagedStoreClient });
