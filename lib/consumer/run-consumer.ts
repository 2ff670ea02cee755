/**
 * The consumer runner every queue consumer uses (docs/architecture.md §4): one message at a time,
 * each settled by its handler's outcome (see settle.ts), acks piggybacked on the next lease.
 */
import type { Delivery, MessageBody } from '../queue/types';
import { runBatchConsumer, type ConsumerCounts, type ConsumerRunOptions } from './run-batch-consumer';

export type MessageHandler = (body: MessageBody, delivery: Delivery) => Promise<void> | void;

export interface ConsumerOptions extends ConsumerRunOptions {
  /** Resolves: acked. Throws: settled by the error's class. Receives the parsed JSON object. */
  handler: MessageHandler;
}

/**
 * Consumes `queue` one message at a time until a limit is reached or the queue is empty.
 * Resolves with counts; rejects with an InfrastructureError, after releasing the message it
 * held, when the database or the damaged store is unreachable.
 */
export function runConsumer(options: ConsumerOptions): Promise<ConsumerCounts> {
  const { handler, ...rest } = options;
  return runBatchConsumer({
    ...rest,
    batchSize: 1,
    handleBatch: async (messages) => {
      for (const { body, delivery } of messages) await handler(body, delivery);
    },
  });
}
