/**
 * What happens to one delivery once its handler has finished (docs/architecture.md §4). The decision
 * depends only on the error's class:
 *
 * - none: acked;
 * - DropMessageError: acked and logged (a deliberate drop, e.g. a duplicate);
 * - RetryableError: stored in `damaged` with a retry date while the message is young enough,
 *   without one when it is too old; then acked;
 * - InfrastructureError: not acked; the caller releases it (uncounted when failureWasOutage says
 *   the failure was an outage) and stops the run;
 * - anything else (MalformedMessageError for a body that is not a JSON object included):
 *   stored in `damaged` without a retry date, with error text and stack; then acked.
 *
 * A failing `damaged` insert is an infrastructure failure too: the message stays in its queue.
 */
import { DropMessageError, InfrastructureError, MalformedMessageError, RetryableError, toError } from '../errors';
import { parseJsonObject } from '../json-object';
import type { Logger } from '../log';
import type { Delivery, MessageBody } from '../queue/types';
import type { DamagedStore } from './damaged-store';
import { retryDateFor, type RetryPolicy } from './retry-policy';

/** What became of a message that leaves the queue. */
export type Settlement = 'succeeded' | 'dropped' | 'damaged' | 'retryScheduled';

export interface SettleContext {
  queue: string;
  damagedStore: DamagedStore;
  retryPolicy: RetryPolicy;
  logger: Logger;
  now: () => Date;
  /** Whether what the handler needs (its database, say) answers now; never rejects (see failureWasOutage). */
  dependenciesReachable?: () => Promise<boolean>;
}

/**
 * Whether an infrastructure failure was an outage: asked right after it, the damaged store or a
 * dependency of the handler does not answer. Its messages then go back uncounted (their deliveries
 * not spent), so that an outage that lasts longer than maxReceiveCount runs dead-letters nothing.
 * When everything answers, the failure may be the messages' own (a statement that drops the
 * connection, a value that makes the driver fail), and their release counts, so that such a
 * message ends in the dead letters instead of stopping every run.
 */
export async function failureWasOutage(context: SettleContext): Promise<boolean> {
  const answers = await Promise.all([context.damagedStore.reachable(), context.dependenciesReachable?.() ?? true]);
  return answers.includes(false);
}

/**
 * Parses a raw body into the JSON object handlers expect; anything else is a
 * MalformedMessageError, so that the raw text goes to `damaged` untouched.
 */
export function parseBody(raw: string): MessageBody {
  const parsed = parseJsonObject(raw);
  if (!parsed.ok) throw new MalformedMessageError(`body is ${parsed.reason}`);
  return parsed.value;
}

/**
 * Records a failed delivery and says how it was settled; the message may then be acked.
 * Rejects with an InfrastructureError when the message must go back to the queue instead.
 */
export async function settleFailure(
  context: SettleContext,
  delivery: Delivery,
  body: MessageBody | undefined,
  thrown: unknown,
): Promise<Settlement> {
  const error = toError(thrown);
  const { logger, queue } = context;
  if (error instanceof InfrastructureError) throw error;
  if (error instanceof DropMessageError) {
    logger.info({ queue, messageId: delivery.id, reason: error.message }, 'message dropped on purpose');
    return 'dropped';
  }
  return storeFailure(context, { body: delivery.body, parsed: body, originalDate: new Date(delivery.enqueuedAt), messageId: delivery.id }, error);
}

/** A message that failed, as `damaged` keeps it: the raw body and, when it parsed, the object. */
export interface FailedMessage {
  body: string;
  parsed: MessageBody | undefined;
  /** When the message entered the pipeline, for a body that carries no date of its own. */
  originalDate: Date;
  /** For the log line; never the body. */
  messageId?: string;
}

/**
 * Stores a failed message in `damaged`: with a retry date when the failure is a RetryableError
 * and the message is young enough (requeue-damaged then pushes it back to `context.queue`),
 * without one otherwise. The one place that decides this, for queue deliveries and for work that
 * does not come from a queue delivery (the rectifier's pending rows) alike.
 */
export async function storeFailure(context: SettleContext, message: FailedMessage, error: Error): Promise<'damaged' | 'retryScheduled'> {
  const { logger, queue } = context;
  const now = context.now();
  const retryDate = error instanceof RetryableError ? retryDateFor(message.parsed, now, context.retryPolicy) : null;
  await context.damagedStore.insert({ queue, body: message.body, error, retryDate, originalDate: message.originalDate }, now);
  logger.warn(
    { queue, messageId: message.messageId, error: error.name, retryDate: retryDate?.toISOString() ?? null },
    retryDate ? 'message failed; retry scheduled in damaged' : 'message failed; stored in damaged',
  );
  return retryDate ? 'retryScheduled' : 'damaged';
}
