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
import { coreConfig } from '../lib/config';
import { openDatabase } from '../lib/db/client';
import { createQueueBackend } from '../lib/queue';

const backend = createQueueBackend();
const database = openDatabase(coreConfig().DATABASE_URL, { connectionLimit: 2 });
const damagedStore = createDamagedStore(database.db);

export async function handler(): Promise<RequeueDamagedCounts> {
  return requeueDamaged({ backend, damagedStore, limit: consumerConfig().REQUEUE_DAMAGED_LIMIT });
}
