import { BufferError, InfrastructureError, MalformedMessageError } from '../errors';
import type { Delivery } from './types';

/** The backend could not be reached or did not confirm: the operation may not have happened. */
export class QueueUnavailableError extends InfrastructureError {}

/** A caller error against the queue contract (bad arguments, oversized message). Not retryable. */
export class QueueUsageError extends BufferError {}

/**
 * The queue refused this message for what it is (its size, a missing partition key): nothing was
 * stored, and pushing the same body again fails the same way. What moves stored messages onto a
 * queue (requeue-damaged, the cutover mover) leaves such a message where it is for a person and
 * goes on with the others.
 */
export class MessageRefusedError extends QueueUsageError {}

/**
 * The message is bigger than the queue's maxMessageBytes: nothing was stored. The size is in the
 * text, never the body. A caller error (HTTP 413 at the tracking endpoint), not retryable.
 */
export class MessageTooLargeError extends MessageRefusedError {
  constructor(
    readonly queue: string,
    readonly bytes: number,
    readonly maxBytes: number,
  ) {
    super(`message of ${bytes} bytes is bigger than the ${maxBytes} bytes queue ${queue} accepts`);
  }
}

/** The operation is one this backend declares it cannot do (see QueueCapabilities). */
export class QueueCapabilityError extends QueueUsageError {}

/** The receipt belongs to a lease that ran out or was already settled: another delivery owns the message. */
export class StaleReceiptError extends BufferError {}

/**
 * popAtomic leased a message whose body is not a JSON object, so it could not run the callback.
 * The message stays leased under `delivery.receipt`: the caller stores `delivery.body` (the raw
 * text) somewhere safe and then acks it, or releases it. Left alone, the lease runs out and the
 * message is delivered again until maxReceiveCount dead-letters it. The message text never
 * appears in the error (it may hold personal data).
 */
export class MalformedQueueMessageError extends MalformedMessageError {
  constructor(
    readonly delivery: Delivery,
    reason: string,
  ) {
    super(`message ${delivery.id} on queue ${delivery.queue}: body is ${reason}`);
  }
}

/**
 * A message pushed to a partitioned queue lacks its partition key (or holds one that is not a
 * string or a number), and the queue declares no default partition: nothing was stored.
 */
export class PartitionKeyMissingError extends MessageRefusedError {
  constructor(
    readonly queue: string,
    readonly partitionKey: string,
  ) {
    super(`message for partitioned queue ${queue} has no usable ${partitionKey} (a string or a number) and the queue declares no default partition`);
  }
}
