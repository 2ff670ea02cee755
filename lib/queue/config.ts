/**
 * Queue settings from the environment. Per-queue overrides go in the backend's constructor
 * options (`queues: { pending: { visibilityTimeoutSeconds: 120 } }`).
 */
import * as z from 'zod';
import { defineConfig, env } from '../config';

/** `queue:replicas` pairs, comma-separated: `donations:1,pending:1`. */
const replicaWaits = z
  .string()
  .transform((value, context) => {
    const waits: Record<string, number> = {};
    for (const item of value.split(',').map((s) => s.trim()).filter(Boolean)) {
      const match = /^([A-Za-z0-9_.:-]+):([1-9]\d?)$/.exec(item);
      if (!match) {
        context.addIssue({ code: 'custom', message: 'must be queue:replicas pairs, comma-separated (e.g. donations:1)' });
        return z.NEVER;
      }
      waits[match[1]!] = Number(match[2]);
    }
    return waits;
  })
  .default({});

export const queueConfig = defineConfig({
  /** How long a leased message stays invisible before it is delivered again. */
  QUEUE_VISIBILITY_TIMEOUT_SECONDS: env.int(30, { min: 1, max: 12 * 3600 }).describe('lease length'),
  /** Deliveries (failures and lease expiries alike) before a message goes to the dead-letter list. */
  QUEUE_MAX_RECEIVE_COUNT: env.int(5, { min: 1, max: 1000 }).describe('deliveries before a message is dead-lettered'),
  /**
   * Largest stored message body in bytes (source fields included), per queue unless overridden:
   * by default what an SQS queue accepts unless configured otherwise (MaximumMessageSize).
   */
  QUEUE_MAX_MESSAGE_BYTES: env.int(262_144, { min: 1024, max: 1_048_576 }).describe(
    'largest stored message (source fields included); bigger pushes get `MessageTooLargeError`, the tracking endpoint 413',
  ),
  /** A Redis command that gets no reply within this time rejects with QueueUnavailableError. */
  QUEUE_REDIS_COMMAND_TIMEOUT_MS: env.int(5000, { min: 100 }).describe('a Redis command without a reply by then rejects with `QueueUnavailableError`'),
  /** How long to wait for a TCP connection to Redis before counting it as down. */
  QUEUE_REDIS_CONNECT_TIMEOUT_MS: env.int(3000, { min: 100 }).describe('how long a TCP connection to Redis may take before Redis counts as down'),
  /**
   * Queues whose pushes resolve only once this many Redis replicas hold them (WAIT), as
   * `queue:replicas` pairs; none by default (Redis replication is asynchronous, docs/queue.md).
   */
  QUEUE_REDIS_WAIT_REPLICAS: replicaWaits.describe('`queue:replicas` pairs whose pushes resolve only once that many replicas hold them (docs/queue.md)'),
  /**
   * How long a push's idempotency key is remembered (Redis): a push of the same key within this
   * time stores nothing. A week covers a cutover re-run on the next evening.
   */
  QUEUE_PUSH_IDEMPOTENCY_SECONDS: env.int(7 * 86_400, { min: 60, max: 90 * 86_400 }).describe('how long a push idempotency key is remembered (docs/queue.md, Idempotent push)'),
  /** How long such a push waits for its replicas before it rejects with ReplicationTimeoutError. */
  QUEUE_REDIS_WAIT_TIMEOUT_MS: env.int(500, { min: 10, max: 60_000 }).describe('how long such a push waits for its replicas (`ReplicationTimeoutError`)'),
});
