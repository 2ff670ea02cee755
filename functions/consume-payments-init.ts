/**
 * `consume-payments-init`, triggered by a schedule (every minute); runnable with `sls invoke local -f
 * consume-payments-init`.
 *
 * Upserts each payments-init message into payments_initial and deletes the pending rows of failed
 * orders not under review, within CONSUME_PAYMENTS_INIT_* limits. Messages are acked only once handled
 * or kept in damaged.
 */
import { createHandlerRuntime } from '../lib/handler-runtime';
import { consumePaymentsInitJob } from '../lib/pending/jobs';

const runtime = createHandlerRuntime('consume-payments-init');

export const handler = async () => runtime.run(consumePaymentsInitJob);
