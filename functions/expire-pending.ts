/**
 * `expire-pending`, triggered by a schedule (daily); runnable with `sls invoke local -f expire-pending`.
 *
 * Deletes (or marks resolved, PENDING_RESOLVE_MODE) pending rows older than EXPIRE_PENDING_DAYS,
 * optionally of one gateway, in bounded statements within EXPIRE_PENDING_* limits.
 */
import { expirePendingJob } from '../lib/pending/jobs';
import { pendingDbClient } from '../lib/runtime/clients/database';
import { createHandler } from '../lib/runtime/handler-runtime';

export const handler = createHandler('expire-pending', expirePendingJob, { db: pendingDbClient });
