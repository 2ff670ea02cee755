/**
 * Trigger: schedule (serverless.yml, `requeueDamagedSchedule`).
 * Guarantee: every `damaged` row whose retry date has passed (at most REQUEUE_DAMAGED_LIMIT per
 * run) is pushed back onto its original queue with its original body, then deleted; a crash
 * in between duplicates a message, never loses one. Fails the invocation when Redis or the
 * database is unreachable.
 */
import { consumerConfig } from '../lib/consumer/config';
import { createDamagedStore } from '../lib/consumer/damaged-store';
import { requeueDamaged, type RequeueDamagedCounts } from '../lib/consumer/requeue-damaged';
import { endInvocation, openHandlerClients } from '../lib/handler-clients';

const clients = openHandlerClients();
const damagedStore = createDamagedStore(clients.database.db);

export async function handler(): Promise<RequeueDamagedCounts> {
  try {
    return await requeueDamaged({ backend: clients.backend, damagedStore, limit: consumerConfig().REQUEUE_DAMAGED_LIMIT });
  } finally {
    await endInvocation(clients);
  }
}
