/**
 * `expire-pending`, triggered by a schedule (daily); runnable with `sls invoke local -f expire-pending`.
 *
 * Deletes (or marks resolved, PENDING_RESOLVE_MODE) pending rows older than EXPIRE_PENDING_DAYS,
 * optionally of one gateway, in bounded statements within EXPIRE_PENDING_* limits.
 */
import { createHandlerRuntime } from '../lib/handler-runtime';
import { expirePendingJob } from '../lib/pending/jobs';

const runtime = createHandlerRuntime('expire-pending');

export const handler = async () => runtime.run(expirePendingJob);
