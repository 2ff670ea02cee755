/**
 * `consume-payments-init`, triggered by a schedule (every minute); runnable with `sls invoke local -f
 * consume-payments-init`.
 *
 * Upserts each payments-init message into payments_initial and deletes the pending rows of failed
 * orders not under review, within CONSUME_PAYMENTS_INIT_* limits. Messages are acked only once handled
 * or kept in damaged.
 */
import { consumePaymentsInitJob } from '../lib/pending/jobs';
import { damagedStoreClient } from '../lib/runtime/clients/damaged-store';
import { pendingDbClient } from '../lib/runtime/clients/database';
import { queueBackendClient } from '../lib/runtime/clients/queue-backend';
import { createHandler } from '../lib/runtime/handler-runtime';

export const handler = createHandler('consume-payments-init', consumePaymentsInitJob, { backend: queueBackendClient, db: pendingDbClient, damagedStore: damagedStoreClient });
