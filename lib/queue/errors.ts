import { BufferError, InfrastructureError } from '../errors';

/** The backend could not be reached or did not confirm: the operation may not have happened. */
export class QueueUnavailableError extends InfrastructureError {}

/** A caller error against the queue contract (bad arguments, oversized message). Not retryable. */
export class QueueUsageError extends BufferError {}

/** The receipt belongs to a lease that ran out or was already settled: another delivery owns the message. */
export class StaleReceiptError extends BufferError {}
