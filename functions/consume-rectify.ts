/**
 * `consume-rectify`, triggered by a schedule (every minute, Redis stages); runnable with `sls invoke
 * local -f consume-rectify`.
 *
 * Reads the delayed triggers consume-pending pushes onto the `rectify` queue and runs the rectifier
 * for each gateway whose new rows have just become old enough (RECTIFY_ORPHANS_* limits, within
 * CONSUME_RECTIFY_TIME_LIMIT_SECONDS); a trigger not yet due is pushed again with what remains of its
 * delay. rectify-orphans' fixed schedule stays as the safety net. A database or queue outage fails the
 * run and leaves the triggers queued; a processor outage is left to the scheduled run.
 */
import { consumeRectifyJob } from '../lib/rectifier/jobs';
import { damagedStoreClient } from '../lib/runtime/clients/damaged-store';
import { pendingDbClient, trackingDbClient } from '../lib/runtime/clients/database';
import { queueBackendClient } from '../lib/runtime/clients/queue-backend';
import { createHandler } from '../lib/runtime/handler-runtime';

export const handler = createHandler('consume-rectify', consumeRectifyJob, { db: pendingDbClient, trackingDb: trackingDbClient, backend: queueBackendClient, damagedStore: damagedStoreClient });
