/**
 * `consume-pending`, triggered by a schedule (every minute); runnable with `sls invoke local -f
 * consume-pending`.
 *
 * Moves the pending queue into the pending table until its time or message limit (CONSUME_PENDING_*)
 * or an empty queue. At-least-once: a message is acked only once stored, dropped on purpose (its
 * payment already failed) or kept in damaged; when the database is down the run fails and the messages
 * stay queued.
 */
import { consumePendingJob } from '../lib/pending/jobs';
import { rectifyTriggerOptions } from '../lib/rectifier/jobs';
import { damagedStoreClient } from '../lib/runtime/clients/damaged-store';
import { pendingDbClient } from '../lib/runtime/clients/database';
import { queueBackendClient } from '../lib/runtime/clients/queue-backend';
import { createHandler } from '../lib/runtime/handler-runtime';

export const handler = createHandler('consume-pending', consumePendingJob(rectifyTriggerOptions), { backend: queueBackendClient, db: pendingDbClient, damagedStore: damagedStoreClient });
