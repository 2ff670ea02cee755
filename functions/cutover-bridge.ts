/**
 * Trigger: schedule (serverless.yml, `cutoverBridgeSchedule`), off unless the stage sets
 * `cutoverBridgeEnabled` (the evening of the cutover, docs/cutover.md).
 * Guarantee: for CUTOVER_BRIDGE_TIME_LIMIT_SECONDS, every message of each CUTOVER_CHANNELS
 * legacy ActiveMQ queue is pushed onto its target (or stored in `damaged`) before it is
 * acknowledged at the broker, once by content. Fails the invocation when Redis or the database
 * is unreachable, the broker stays away, or a message is unaccounted for.
 */
import { cutoverBridgeJob } from '../lib/cutover/jobs';
import { cutoverLedgerClient } from '../lib/runtime/clients/cutover-ledger';
import { damagedStoreClient } from '../lib/runtime/clients/damaged-store';
import { pendingDbClient } from '../lib/runtime/clients/database';
import { queueBackendClient } from '../lib/runtime/clients/queue-backend';
import { createHandler } from '../lib/runtime/handler-runtime';

export const handler = createHandler('cutover-bridge', cutoverBridgeJob, { backend: queueBackendClient, db: pendingDbClient, damagedStore: damagedStoreClient, ledger: cutoverLedgerClient });
