/**
 * The consumer loop, in its batch form, over the contract's own consumeBatches (the path the
 * queue benchmark measures): up to `batchSize` messages, the parseable ones handed to
 * `handleBatch` at once (one database transaction, say), each settled by its own outcome;
 * consumeBatches acks the settled ones with a later batch's lease, leases each batch while the one
 * before is handled, and gives back the rest. `runConsumer` is this loop with batches of one.
 *
 * The run ends when a limit is reached or the queue is empty. With `wait` and a limit, an
 * empty queue is waited on (`waitForMessage`, never busy polling) until the limit is reached.
 * When the database or the damaged store is unreachable, nothing unsettled is acked: those
 * messages are released, settled ones acked, and the run rejects with the InfrastructureError.
 */
import { consecutiveChunks } from '../queue/consecutive-chunks';
import { InfrastructureError, toError } from '../errors';
import { parseJsonObject } from '../json-object';
import { createLogger, type Logger } from '../log';
import type { Delivery, MessageBody, QueueBackend } from '../queue/types';
import type { DamagedStore } from './damaged-store';
import type { RetryPolicy } from './retry-policy';
import { RunBudget, type StoppedBecause } from './run-budget';
import { failureWasOutage, parseBody, settleFailure, type SettleContext, type Settlement } from './settle';

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
  stoppedBecause: Extract<StoppedBecause, 'empty' | 'time-limit' | 'message-limit'>;
}

export interface ConsumerRunOptions {
  backend: QueueBackend;
  queue: string;
  /**
   * Seconds; 0 or absent: no limit. Checked before each lease. Limits arrive parsed: the
   * configuration validates the environment's (`env.limit` in lib/config.ts).
   */
  timeLimitSeconds?: number;
  /** Messages; 0 or absent: no limit. */
  messageLimit?: number;
  /** When a limit is set, wait for new messages on an empty queue instead of stopping. */
  wait?: boolean;
  damagedStore: DamagedStore;
  retryPolicy: RetryPolicy;
  logger?: Logger;
  /** Clock for retry dates and damaged dates (tests). */
  now?: () => Date;
  /**
   * Whether what the handler needs besides the damaged store (its database, say) answers now;
   * never rejects. Asked after an infrastructure failure: while it answers false, the failed
   * messages go back without spending a delivery (settle.ts, failureWasOutage).
   */
  dependenciesReachable?: () => Promise<boolean>;
}

export interface BatchConsumerOptions extends ConsumerRunOptions {
  /** Most messages handed to `handleBatch` at once (fewer when their bodies exceed HANDLER_BATCH_MAX_CHARS). */
  batchSize: number;
  handleBatch: (messages: BatchMessage[]) => Promise<BatchFailures | void>;
  /**
   * Called with the parseable messages of a batch leased ahead as soon as it arrives, while
   * `handleBatch` still works on the batch before (waiting for its database): CPU work done here
   * for the coming batch (normalising, hashing) overlaps those waits instead of following them.
   * The same messages (the same body objects) reach `handleBatch` later, unless the batch goes
   * back unhandled. Must not throw; a message it cannot prepare is left to `handleBatch`.
   */
  prepareBatch?: (messages: BatchMessage[]) => void;
}

/** A limit the caller passes; a negative, fractional count or non-number is a programming error. */
function checkedLimit(value: number | undefined, name: string, { integer = false } = {}): number {
  const limit = value ?? 0;
  if (!Number.isFinite(limit) || limit < 0 || (integer && !Number.isInteger(limit))) {
    throw new RangeError(`${name} must be ${integer ? 'a whole number' : 'a number'} of at least 0 (0 means no limit)`);
  }
  return limit;
}

/** How long one wait lasts when only a message limit bounds the run. */
const WAIT_SLICE_MS = 20_000;

/**
 * Consumes `queue` in batches until a limit is reached or the queue is empty; resolves with
 * counts, rejects with an InfrastructureError (after releasing what it held) when a
 * dependency is down.
 */
export async function runBatchConsumer(options: BatchConsumerOptions): Promise<ConsumerCounts> {
  const { backend, queue, handleBatch } = options;
  const timeLimitMs = checkedLimit(options.timeLimitSeconds, 'timeLimitSeconds') * 1000;
  const messageLimit = checkedLimit(options.messageLimit, 'messageLimit', { integer: true });
  const batchSize = checkedLimit(options.batchSize, 'batchSize', { integer: true });
  if (batchSize < 1) throw new RangeError('batchSize must be at least 1');
  const budget = new RunBudget({ count: messageLimit, countLimit: 'message-limit', timeMs: timeLimitMs });
  const wait = Boolean(options.wait) && budget.bounded;
  const logger = options.logger ?? createLogger({ component: 'consumer', queue });
  const context = settleContextOf(options, logger);

  const counts: ConsumerCounts = { processed: 0, succeeded: 0, dropped: 0, damaged: 0, retryScheduled: 0, stoppedBecause: 'empty' };
  // Bodies of a batch leased ahead, parsed while the batch before is in the database.
  const parsedAhead = new WeakMap<Delivery, MessageBody>();
  const prepare = (deliveries: Delivery[]) => {
    const messages: BatchMessage[] = [];
    for (const delivery of deliveries) {
      const parsed = parseJsonObject(delivery.body);
      if (!parsed.ok) continue;
      parsedAhead.set(delivery, parsed.value);
      messages.push({ body: parsed.value, delivery });
    }
    options.prepareBatch?.(messages);
  };

  for (;;) {
    let failure: InfrastructureError | undefined;
    // One consumeBatches loop until the queue is empty or a limit is reached: each batch's acks
    // ride on a later lease call, and the next batch is leased while this one is handled, so the
    // budget counts what is leased and not yet handled as done.
    const result = await backend.consumeBatches(
      queue,
      (inFlight) => (budget.exhausted(counts.processed + inFlight) ? 0 : budget.nextBatch(counts.processed + inFlight, batchSize)),
      async (deliveries) => {
        const { settled, error, outage } = await settleBatch(deliveries, handleBatch, context, counts, parsedAhead);
        failure = error;
        // Unsettled messages (after an infrastructure failure) go back to the queue, and the run stops.
        return { failedIds: deliveries.filter((delivery) => !settled.has(delivery.id)).map((delivery) => delivery.id), stop: error !== undefined, uncounted: outage };
      },
      { prepare },
    );
    if (failure) {
      logger.error({ queue, released: result.failed, err: failure.message }, 'infrastructure failure: messages released, run stopped');
      throw failure;
    }
    if (result.stoppedBecause === 'stopped') {
      counts.stoppedBecause = budget.exhausted(counts.processed) ?? 'time-limit';
      break;
    }
    if (!wait) {
      counts.stoppedBecause = 'empty';
      break;
    }
    const limitReached = budget.exhausted(counts.processed);
    if (limitReached) {
      counts.stoppedBecause = limitReached;
      break;
    }
    const waitMs = timeLimitMs > 0 ? Math.max(1, budget.remainingMs()) : WAIT_SLICE_MS;
    await backend.waitForMessage(queue, waitMs);
  }
  logger.info({ queue, ...counts, seconds: budget.elapsedMs() / 1000 }, 'consumer run finished');
  return counts;
}

/** What settling a batch needs, from a run's options. Shared by the batch consumer and the partitioned one. */
export function settleContextOf(options: ConsumerRunOptions, logger: Logger): SettleContext {
  const { queue, damagedStore, retryPolicy, dependenciesReachable } = options;
  return { queue, damagedStore, retryPolicy, logger, now: options.now ?? (() => new Date()), dependenciesReachable };
}

/**
 * Settles every delivery of a batch by its handler outcome (failures to `damaged`, dropped, or a
 * retry date); stops settling at the first infrastructure failure and returns it with what was
 * settled before it, and whether it was an outage (failureWasOutage: the unsettled ones then go
 * back uncounted). Shared by the batch consumer and the partitioned one.
 */
export async function settleBatch(
  deliveries: Delivery[],
  handleBatch: BatchConsumerOptions['handleBatch'],
  context: SettleContext,
  counts: ConsumerCounts,
  /** Bodies already parsed, by delivery (absent ones are parsed here). */
  parsed?: WeakMap<Delivery, MessageBody>,
): Promise<{ settled: Set<string>; error?: InfrastructureError; outage: boolean }> {
  const settled = new Set<string>();
  const { outcomes, bodies } = await runBatchHandler(deliveries, handleBatch, parsed);
  for (const delivery of deliveries) {
    let settlement: Settlement = 'succeeded';
    if (outcomes.has(delivery.id)) {
      try {
        settlement = await settleFailure(context, delivery, bodies.get(delivery.id), outcomes.get(delivery.id));
      } catch (error) {
        const infrastructure = error instanceof InfrastructureError ? error : new InfrastructureError(toError(error).message, { cause: error });
        return { settled, error: infrastructure, outage: await failureWasOutage(context) };
      }
    }
    settled.add(delivery.id);
    counts[settlement] += 1;
    counts.processed += 1;
  }
  return { settled, error: undefined, outage: false };
}

/**
 * Parses each delivery and hands the parseable ones to `handleBatch`, in one call or, when their
 * bodies are more than one statement should carry (HANDLER_BATCH_MAX_CHARS), in consecutive parts:
 * what each delivery ended with, by Delivery.id (absent: succeeded), and the parsed bodies. A body
 * that is not a JSON object never reaches the handler (MalformedMessageError); a throwing handler
 * applies its error to every message it was given, and after an InfrastructureError the parts
 * after it are not handed over (they go back with it). Shared by the scheduled and the SQS runner;
 * `parsedAhead` holds bodies already parsed (a batch leased ahead).
 */
export async function runBatchHandler(
  deliveries: Delivery[],
  handleBatch: BatchConsumerOptions['handleBatch'],
  parsedAhead?: WeakMap<Delivery, MessageBody>,
): Promise<{ outcomes: Map<string, unknown>; bodies: Map<string, MessageBody> }> {
  const outcomes = new Map<string, unknown>();
  const parsed: BatchMessage[] = [];
  const bodies = new Map<string, MessageBody>();
  for (const delivery of deliveries) {
    try {
      const body = parsedAhead?.get(delivery) ?? parseBody(delivery.body);
      parsed.push({ body, delivery });
      bodies.set(delivery.id, body);
    } catch (error) {
      outcomes.set(delivery.id, error);
    }
  }
  let stoppedBy: unknown;
  for (const part of partsWithin(parsed, HANDLER_BATCH_MAX_CHARS)) {
    // After an outage the rest is not tried: it goes back with the same error.
    if (stoppedBy !== undefined) {
      for (const { delivery } of part) outcomes.set(delivery.id, stoppedBy);
      continue;
    }
    try {
      const failures = await handleBatch(part);
      for (const [id, error] of failures ?? []) outcomes.set(id, error);
    } catch (thrown) {
      for (const { delivery } of part) outcomes.set(delivery.id, thrown);
      if (thrown instanceof InfrastructureError) stoppedBy = thrown;
    }
  }
  return { outcomes, bodies };
}

/**
 * The most body text (UTF-16 units, at most three bytes of UTF-8 each) one handleBatch call gets:
 * a handler writes a batch in a few multi-row statements that carry the bodies, and a statement
 * over the server's max_allowed_packet (16 MB by default on MariaDB) is not refused but kills the
 * connection, an outage that would come back with the same batch on every run until it was
 * dead-lettered whole. 4 Mi units keep such a statement under 12 MB of bodies; a queue's
 * messages are at most 256 KB each, so a part always holds at least one.
 */
export const HANDLER_BATCH_MAX_CHARS = 4 * 1024 * 1024;

/** `messages` in order, cut into consecutive parts of at most `maxChars` of body text (one message at least). */
export function partsWithin(messages: BatchMessage[], maxChars: number): BatchMessage[][] {
  return consecutiveChunks(messages, (message) => message.delivery.body.length, maxChars);
}
