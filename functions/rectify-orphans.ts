/**
 * `rectify-orphans`, triggered by a schedule (every 30 minutes); runnable with `sls invoke local -f
 * rectify-orphans`.
 *
 * Settles pending rows older than RECTIFY_ORPHANS_MIN_AGE_MINUTES with their payment processor, oldest
 * first per gateway, within RECTIFY_ORPHANS_* limits, one order at a time: one processor call and at most
 * one donation per order, then every row of the order is resolved; failures go to damaged first. An
 * order whose payments-init asked for review is never approved or captured (it goes to damaged). A
 * processor outage stops its gateway only and fails the run at its end; a database outage fails it at once.
 */
import { rectifyOrphansJob } from '../lib/rectifier/jobs';
import { damagedStoreClient } from '../lib/runtime/clients/damaged-store';
import { pendingDbClient, trackingDbClient } from '../lib/runtime/clients/database';
import { queueBackendClient } from '../lib/runtime/clients/queue-backend';
import { createHandler } from '../lib/runtime/handler-runtime';

export const handler = createHandler('rectify-orphans', rectifyOrphansJob, { db: pendingDbClient, trackingDb: trackingDbClient, backend: queueBackendClient, damagedStore: damagedStoreClient });
