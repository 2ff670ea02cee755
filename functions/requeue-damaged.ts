/**
 * Trigger: schedule (serverless.yml, `requeueDamagedSchedule`).
 * Guarantee: every `damaged` row whose retry date has passed (at most REQUEUE_DAMAGED_LIMIT per
 * run) is pushed back onto its original queue with its original body, then deleted; a crash
 * in between duplicates a message, never loses one. Fails the invocation when Redis or the
 * database is unreachable.
 */
import { consumerConfig } from '../lib/consumer/config';
import { requeueDamaged, type RequeueDamagedCounts } from '../lib/consumer/requeue-damaged';
import { createHandlerRuntime } from '../lib/handler-runtime';

const runtime = createHandlerRuntime('requeue-damaged');

export const handler = (): Promise<RequeueDamagedCounts> =>
  runtime.run(({ backend, damagedStore }) => requeueDamaged({ backend, damagedStore, limit: consumerConfig().REQUEUE_DAMAGED_LIMIT }));
