/**
 * `rectify-orphans`, triggered by a schedule (every 30 minutes); runnable with `sls invoke local -f
 * rectify-orphans`.
 *
 * Settles pending rows older than RECTIFY_ORPHANS_MIN_AGE_MINUTES with their payment processor, oldest
 * first per gateway, within RECTIFY_ORPHANS_* limits. Every attempted row is resolved; failures go to
 * damaged first; a processor or database outage fails the run and leaves the row in place.
 */
import { createHandlerRuntime } from '../lib/handler-runtime';
import { rectifyOrphansJob } from '../lib/rectifier/rectify-orphans-job';

const runtime = createHandlerRuntime('rectify-orphans');

export const handler = async () => runtime.run(rectifyOrphansJob);
