/**
 * The consumer loop (ARCHITECTURE §4), in its batch form: lease up to `batchSize` messages,
 * hand the parseable ones to `handleBatch` at once (one database transaction, say), settle each
 * message by its own outcome, and ack the settled ones piggybacked on the next lease, so a
 * steady run costs one queue round trip per batch. `runConsumer` is this loop with batches of
 * one.
 *
 * The run ends when a limit is reached or the queue is empty. With `wait` and a limit, an
 * empty queue is waited on (`waitForMessage`, never busy polling) until the limit is reached.
 * When the database or the damaged store is unreachable, nothing unsettled is acked: those
 * messages are released, settled ones acked, and the run rejects with the InfrastructureError.
 */
import { InfrastructureError, toError } from '../errors';
import { createLogger, type Logger } from '../log';
import type { Delivery, MessageBody, QueueBackend } from '../queue/types';
import type { DamagedStore } from './damaged-store';
import { parseLimit, type LimitInput } from './limits';
import type { RetryPolicy } from './retry-policy';
import { parseBody, settleFailure, type SettleContext, type Settlement } from './settle';

/** One parsed message of a batch. */
export interface BatchMessage {
  body: MessageBody;
  delivery: Delivery;
}

/**
 * What a batch handler reports: the messages that failed, by `delivery.id`, with what they
 * threw; messages not listed succeeded. Throwing instead applies the thrown error to every
 * message of the batch (right for an InfrastructureError; for a bad message, report it here).
 */
export type BatchFailures = Map<string, unknown>;

export interface ConsumerCounts {
  /** Messages that left the queue: succeeded + dropped + damaged + retryScheduled. */
  processed: number;
  succeeded: number;
  /** Dropped on purpose (DropMessageError). */
  dropped: number;
  /** Stored in `damaged` for a person (no retry date). */
  damaged: number;
  /** Stored in `damaged` with a retry date. */
  retryScheduled: number;
  stoppedBecause: 'empty' | 'time-limit' | 'message-limit';
}

export interface ConsumerRunOptions {
  backend: QueueBackend;
  queue: string;
  /** Seconds; numeric strings accepted; 0 or absent: no limit. Checked before each lease. */
  timeLimitSeconds?: LimitInput;
  /** Messages; numeric strings accepted; 0 or absent: no limit. */
  messageLimit?: LimitInput;
  /** When a limit is set, wait for new messages on an empty queue instead of stopping. */
  wait?: boolean;
  damagedStore: DamagedStore;
  retryPolicy: RetryPolicy;
  logger?: Logger;
  /** Clock for retry dates and damaged dates (tests). */
  now?: () => Date;
}

export interface BatchConsumerOptions extends ConsumerRunOptions {
  /** Most messages handed to `handleBatch` at once. */
  batchSize: number;
  handleBatch: (messages: BatchMessage[]) => Promise<BatchFailures | void>;
}

/** How long one wait lasts when only a message limit bounds the run. */
const WAIT_SLICE_MS = 20_000;

/**
 * Consumes `queue` in batches until a limit is reached or the queue is empty; resolves with
 * counts, rejects with an InfrastructureError (after releasing what it held) when a
 * dependency is down.
 */
export async function runBatchConsumer(options: BatchConsumerOptions): Promise<ConsumerCounts> {
  const { backend, queue, damagedStore, retryPolicy, handleBatch } = options;
  const timeLimitMs = parseLimit(options.timeLimitSeconds, 'timeLimitSeconds') * 1000;
  const messageLimit = parseLimit(options.messageLimit, 'messageLimit', { integer: true });
  const batchSize = parseLimit(options.batchSize, 'batchSize', { integer: true });
  if (batchSize < 1) throw new RangeError('batchSize must be at least 1');
  const wait = Boolean(options.wait) && (timeLimitMs > 0 || messageLimit > 0);
  const logger = options.logger ?? createLogger({ component: 'consumer', queue });
  const context: SettleContext = { queue, damagedStore, retryPolicy, logger, now: options.now ?? (() => new Date()) };

  const counts: ConsumerCounts = { processed: 0, succeeded: 0, dropped: 0, damaged: 0, retryScheduled: 0, stoppedBecause: 'empty' };
  const started = Date.now();
  const remainingMs = () => timeLimitMs - (Date.now() - started);
  let toAck: string[] = [];

  try {
    for (;;) {
      if (messageLimit > 0 && counts.processed >= messageLimit) {
        counts.stoppedBecause = 'message-limit';
        break;
      }
      if (timeLimitMs > 0 && remainingMs() <= 0) {
        counts.stoppedBecause = 'time-limit';
        break;
      }
      const max = messageLimit > 0 ? Math.min(batchSize, messageLimit - counts.processed) : batchSize;
      const deliveries = await backend.lease(queue, { max, ack: toAck });
      toAck = [];
      if (deliveries.length === 0) {
        if (!wait) {
          counts.stoppedBecause = 'empty';
          break;
        }
        const waitMs = timeLimitMs > 0 ? Math.max(1, remainingMs()) : WAIT_SLICE_MS;
        await backend.waitForMessage(queue, waitMs);
        continue;
      }
      const { acks, error } = await settleBatch(deliveries, handleBatch, context, counts);
      toAck = acks;
      if (error) {
        await releaseAfterFailure(backend, queue, toAck, deliveries, logger);
        toAck = [];
        throw error;
      }
    }
  } finally {
    if (toAck.length > 0) await ackRemaining(backend, queue, toAck, logger);
  }
  logger.info({ queue, ...counts, seconds: (Date.now() - started) / 1000 }, 'consumer run finished');
  return counts;
}

/** Settles every delivery of a batch; stops settling at the first infrastructure failure. */
async function settleBatch(
  deliveries: Delivery[],
  handleBatch: BatchConsumerOptions['handleBatch'],
  context: SettleContext,
  counts: ConsumerCounts,
): Promise<{ acks: string[]; error?: InfrastructureError }> {
  const acks: string[] = [];
  const outcomes = new Map<string, unknown>();
  const parsed: BatchMessage[] = [];
  const bodies = new Map<string, MessageBody>();
  for (const delivery of deliveries) {
    try {
      const body = parseBody(delivery.body);
      parsed.push({ body, delivery });
      bodies.set(delivery.id, body);
    } catch (error) {
      outcomes.set(delivery.id, error);
    }
  }
  if (parsed.length > 0) {
    try {
      const failures = await handleBatch(parsed);
      for (const [id, error] of failures ?? []) outcomes.set(id, error);
    } catch (thrown) {
      for (const { delivery } of parsed) outcomes.set(delivery.id, thrown);
    }
  }
  for (const delivery of deliveries) {
    let settlement: Settlement = 'succeeded';
    if (outcomes.has(delivery.id)) {
      try {
        settlement = await settleFailure(context, delivery, bodies.get(delivery.id), outcomes.get(delivery.id));
      } catch (error) {
        const infrastructure = error instanceof InfrastructureError ? error : new InfrastructureError(toError(error).message, { cause: error });
        return { acks, error: infrastructure };
      }
    }
    acks.push(delivery.receipt);
    counts[settlement] += 1;
    counts.processed += 1;
  }
  return { acks, error: undefined };
}

/** Acks what was settled and releases the rest of the batch, best effort: the run is failing anyway. */
async function releaseAfterFailure(backend: QueueBackend, queue: string, acks: string[], deliveries: Delivery[], logger: Logger): Promise<void> {
  await ackRemaining(backend, queue, acks, logger);
  const settled = new Set(acks);
  for (const delivery of deliveries) {
    if (settled.has(delivery.receipt)) continue;
    try {
      await backend.release(queue, delivery.receipt);
    } catch (error) {
      // The lease runs out by itself and the message comes back then.
      logger.error({ queue, messageId: delivery.id, error: toError(error).name }, 'could not release message; it returns when its lease expires');
    }
  }
  logger.error({ queue, released: deliveries.length - acks.length }, 'infrastructure failure: messages released, run stopped');
}

async function ackRemaining(backend: QueueBackend, queue: string, receipts: string[], logger: Logger): Promise<void> {
  try {
    const stale = await backend.ackBatch(queue, receipts);
    if (stale.length > 0) logger.warn({ queue, stale: stale.length }, 'some leases had expired before their ack; those messages will be delivered again');
  } catch (error) {
    logger.error({ queue, error: toError(error).name }, 'could not ack settled messages; they will be delivered again');
  }
}
