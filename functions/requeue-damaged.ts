/**
 * Trigger: schedule (serverless.yml, `requeueDamagedSchedule`).
 * Guarantee: every `damaged` row whose retry date has passed (at most REQUEUE_DAMAGED_LIMIT per
 * run) is pushed back onto its original queue with its original body, then deleted; a crash
 * in between duplicates a message, never loses one. Fails the invocation when Redis or the
 * database is unreachable.
 */
import { requeueDamagedJob } from '../lib/consumer/jobs';
import { damagedStoreClient } from '../lib/runtime/clients/damaged-store';
import { queueBackendClient } from '../lib/runtime/clients/queue-backend';
import { createHandler } from '../lib/runtime/handler-runtime';

export const handler = createHandler('requeue-damaged', requeueDamagedJob, { backend: queueBackendClient, damagedStore: damagedStoreClient });
