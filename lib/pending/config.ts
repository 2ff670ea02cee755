/**
 * Settings of the pending pipeline's jobs. Run limits default to the legacy deployment's
 * (pending consumer: 60 s, unlimited messages); 0 means "no limit" for every *_LIMIT.
 */
import { defineConfig, env } from '../config';

export const pendingConfig = defineConfig({
  PENDING_QUEUE: env.string('pending'),
  PAYMENTS_INIT_QUEUE: env.string('payments-init'),
  DONATIONS_QUEUE: env.string('donations'),

  CONSUME_PENDING_TIME_LIMIT_SECONDS: env.limit(60),
  CONSUME_PENDING_MESSAGE_LIMIT: env.limit(0),
  /** Messages leased and inserted per round trip. */
  CONSUME_PENDING_BATCH_SIZE: env.int(200, { min: 1, max: 5000 }),

  CONSUME_PAYMENTS_INIT_TIME_LIMIT_SECONDS: env.limit(60),
  CONSUME_PAYMENTS_INIT_MESSAGE_LIMIT: env.limit(0),

  /** What a job does with a row it is done with. */
  PENDING_RESOLVE_MODE: env.oneOf(['delete', 'mark-resolved'] as const, 'delete'),

  EXPIRE_PENDING_DAYS: env.int(30, { min: 1 }),
  /** Only this gateway's rows; every gateway when unset. */
  EXPIRE_PENDING_GATEWAY: env.string().optional(),
  EXPIRE_PENDING_TIME_LIMIT_SECONDS: env.limit(60),
  /** Rows per statement. */
  EXPIRE_PENDING_BATCH_SIZE: env.int(1000, { min: 1 }),
  /** Most rows per run; 0: no limit. */
  EXPIRE_PENDING_ROW_LIMIT: env.limit(0),
});

export type PendingConfig = ReturnType<typeof pendingConfig>;
