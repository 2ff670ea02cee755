/**
 * `consume-pending`, triggered by a schedule (every minute); runnable with `sls invoke local -f
 * consume-pending`.
 *
 * Moves the pending queue into the pending table until its time or message limit (CONSUME_PENDING_*)
 * or an empty queue. At-least-once: a message is acked only once stored, dropped on purpose (its
 * payment already failed) or kept in damaged; when the database is down the run fails and the messages
 * stay queued.
 */
import { createHandlerRuntime } from '../lib/handler-runtime';
import { consumePendingJob } from '../lib/pending/jobs';

const runtime = createHandlerRuntime('consume-pending');

export const handler = async () => runtime.run(consumePendingJob);
