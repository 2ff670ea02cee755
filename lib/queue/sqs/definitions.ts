/**
 * The queue definitions (`lib/queue/definitions.ts`, from `queues/definitions.json`) and the
 * names SQS gives them.
 */
export { findQueueDefinition, parseQueueDefinitions, queueDefinitions, type QueueDefinition } from '../definitions';

/** The SQS name of a logical queue: stage prefix, name, `.fifo` for FIFO queues (SQS requires it). */
export function sqsQueueName(prefix: string, name: string, fifo: boolean): string {
  return `${prefix}${name}${fifo ? '.fifo' : ''}`;
}

/** The SQS name of a queue's dead-letter queue (FIFO when the source is: SQS requires it). */
export function sqsDeadLetterQueueName(prefix: string, name: string, fifo: boolean): string {
  return `${prefix}${name}-dlq${fifo ? '.fifo' : ''}`;
}
