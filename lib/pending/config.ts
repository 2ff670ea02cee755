/**
 * Settings of the pending pipeline's jobs. Run limits default to the legacy deployment's
 * (pending consumer: 60 s, unlimited messages); 0 means "no limit" for every *_LIMIT. Each
 * time limit leaves its function's timeout (serverless.yml) at least 10 s to finish the batch.
 */
import { defineConfig, env } from '../config';
import { definedQueue } from '../queue/definitions';
import { DEFAULT_SIGNATURE_TOLERANCE_SECONDS } from '../signing';

export const pendingConfig = defineConfig({
  PENDING_QUEUE: env.string(definedQueue('pending')).describe('queue consume-pending reads'),
  PAYMENTS_INIT_QUEUE: env.string(definedQueue('payments-init')).describe('queue consume-payments-init reads'),
  DONATIONS_QUEUE: env.string(definedQueue('donations')).describe('queue rectify-orphans sends settled donations to (the CRM side reads it)'),
  /** consume-pending writes it, consume-rectify reads it (lib/pending/rectify-trigger.ts). */
  RECTIFY_QUEUE: env.string(definedQueue('rectify')).describe('queue of the delayed rectify triggers consume-pending pushes and consume-rectify reads'),
  RECTIFY_TRIGGERS: env.bool(true).describe('consume-pending pushes a delayed rectify trigger per gateway of each batch (Redis stages)'),
  CONSUME_RECTIFY_TIME_LIMIT_SECONDS: env.limit(60).describe('consume-rectify run length, seconds, rectifier runs included (0: no limit)'),

  CONSUME_PENDING_TIME_LIMIT_SECONDS: env.limit(60).describe('consume-pending run length, seconds (0: no limit)'),
  CONSUME_PENDING_MESSAGE_LIMIT: env.limit(0).describe('messages per consume-pending run (0: no limit)'),
  /** Messages leased and inserted per round trip. */
  CONSUME_PENDING_BATCH_SIZE: env.int(200, { min: 1, max: 5000 }).describe('messages leased and inserted per round trip'),

  CONSUME_PAYMENTS_INIT_TIME_LIMIT_SECONDS: env.limit(60).describe('consume-payments-init run length, seconds (0: no limit)'),
  CONSUME_PAYMENTS_INIT_MESSAGE_LIMIT: env.limit(0).describe('messages per consume-payments-init run (0: no limit)'),
  /** Messages leased and upserted per round trip. */
  CONSUME_PAYMENTS_INIT_BATCH_SIZE: env.int(200, { min: 1, max: 5000 }).describe('messages leased and upserted per round trip'),

  /** What a job does with a row it is done with. */
  PENDING_RESOLVE_MODE: env.oneOf(['delete', 'mark-resolved'] as const, 'delete').describe('`delete` or `mark-resolved`: what rectify-orphans and expire-pending do with a row they are done with'),

  EXPIRE_PENDING_DAYS: env.int(30, { min: 1 }).describe('expire-pending takes rows older than this'),
  /** Only this gateway's rows; every gateway when unset. */
  EXPIRE_PENDING_GATEWAY: env.string().optional().describe('only this gateway\'s rows; every gateway when unset'),
  EXPIRE_PENDING_TIME_LIMIT_SECONDS: env.limit(90).describe('expire-pending run length, seconds (0: no limit)'),
  /** Rows per statement. */
  EXPIRE_PENDING_BATCH_SIZE: env.int(1000, { min: 1 }).describe('rows per statement'),
  /** Most rows per run; 0: no limit. */
  EXPIRE_PENDING_ROW_LIMIT: env.limit(0).describe('rows per expire-pending run (0: no limit)'),
});

export type PendingConfig = ReturnType<typeof pendingConfig>;

/** The pending endpoint's secrets (lib/signing.ts): only pending-orders reads them. */
export const pendingEndpointConfig = defineConfig({
  PENDING_HMAC_SECRET: env.string().describe('HMAC-SHA256 key of `X-Pending-Signature` (required by pending-orders)'),
  PENDING_HMAC_SECRET_PREVIOUS: env.string().optional().describe('the previous key, also accepted while producers move to a new one (rotation); unset otherwise'),
  PENDING_SIGNATURE_TOLERANCE_SECONDS: env.int(DEFAULT_SIGNATURE_TOLERANCE_SECONDS, { min: 1 }).describe('a signed request\'s timestamp may be this far from now, either way'),
});
