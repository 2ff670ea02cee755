/**
 * `rectify-orphans`, triggered by a schedule (every 30 minutes); runnable with `sls invoke local -f
 * rectify-orphans`.
 *
 * Settles pending rows older than RECTIFY_ORPHANS_MIN_AGE_MINUTES with their payment processor, oldest
 * first per gateway, within RECTIFY_ORPHANS_* limits, one order at a time: one processor call and at most
 * one donation per order, then every row of the order is resolved; failures go to damaged first; a
 * processor or database outage fails the run and leaves the order's rows in place.
 */
import { rectifyOrphansJob } from '../lib/rectifier/jobs';
import { damagedStoreClient } from '../lib/runtime/clients/damaged-store';
import { dbClient } from '../lib/runtime/clients/database';
import { queueBackendClient } from '../lib/runtime/clients/queue-backend';
import { createHandler } from '../lib/runtime/handler-runtime';

export const handler = createHandler('rectify-orphans', rectifyOrphansJob, { db: dbClient, backend: queueBackendClient, damagedStore: damagedStoreClient });
