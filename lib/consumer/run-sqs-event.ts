/**
 * The consumer runner for SQS-triggered Lambda functions (an SQS event source mapping with
 * `functionResponseType: ReportBatchItemFailures`): Lambda receives and deletes, this settles each
 * record of its event by the consumer runner's outcome rules (settle.ts), in the batch form of
 * runBatchConsumer and through its own parse-and-hand-over step (runBatchHandler): every
 * parseable record goes to one `handleBatch` call (one database transaction, say), then each
 * record is settled by its own outcome:
 *
 * - success, a deliberate drop, a retryable or any other message error, a body that is not a
 *   JSON object (settled as malformed without reaching the handler): the message is settled
 *   (stored in `damaged` where the rules say so) and SQS deletes it, because it is not reported;
 * - an InfrastructureError (the database or the damaged store is down): the message is reported
 *   in `batchItemFailures`, SQS delivers it again after its visibility timeout, and after
 *   `maxReceiveCount` receives it lands in the dead-letter queue.
 *
 * On a FIFO queue (a partitioned queue on SQS: MessageGroupId = its key) the first reported
 * record of a message group also fails every later record of that group in the batch, which is not
 * settled: SQS would otherwise delete them and redeliver the failed one after them, out of order.
 * Other groups go on (Lambda hands a group's records in order and no group to two invocations at
 * once, so what one group does cannot reorder another; docs/queue.md, Partitions on SQS).
 */
import { InfrastructureError, toError } from '../errors';
import { createLogger, type Logger } from '../log';
import { deliveryOf, isFifoSource, logicalQueueName, type SqsBatchResponse, type SqsEvent } from '../queue/sqs/lambda-event';
import type { Delivery } from '../queue/types';
import type { DamagedStore } from './damaged-store';
import type { RetryPolicy } from './retry-policy';
import { runBatchHandler, type BatchConsumerOptions, type BatchFailures } from './run-batch-consumer';
import type { MessageHandler } from './run-consumer';
import { settleFailure, type SettleContext } from './settle';

export interface SqsEventRunOptions {
  damagedStore: DamagedStore;
  retryPolicy: RetryPolicy;
  /** The logical queue name recorded in `damaged`; derived from the event source ARN otherwise. */
  queue?: string;
  /** Stage prefix stripped from the SQS queue name when the logical name is derived. */
  queuePrefix?: string;
  logger?: Logger;
  now?: () => Date;
}

/** Handles the parseable records of one event at once; the same shape as runBatchConsumer's. */
export type SqsBatchHandler = BatchConsumerOptions['handleBatch'];

interface EventRecord {
  delivery: Delivery;
  /** FIFO records: the message group whose later records wait behind a failed one; undefined on a standard queue. */
  group: string | undefined;
}

/** The order-keeping group of a record: its MessageGroupId on a FIFO queue (one group if SQS gave none), none on a standard queue. */
function groupOf(delivery: Delivery, fifo: boolean): string | undefined {
  return fifo ? (delivery.messageGroupId ?? '') : undefined;
}

/**
 * Hands the parseable records of `event` to `handleBatch` in one call, settles each record by its
 * outcome, and reports the ones SQS must deliver again; resolves (never rejects) so that Lambda
 * deletes everything else.
 */
export async function runSqsEventBatch(event: SqsEvent, handleBatch: SqsBatchHandler, options: SqsEventRunOptions): Promise<SqsBatchResponse> {
  const logger = options.logger ?? createLogger({ component: 'sqs-event' });
  const now = options.now ?? (() => new Date());
  const records: EventRecord[] = (event.Records ?? []).map((record) => {
    const delivery = deliveryOf(record, options.queue ?? logicalQueueName(record.eventSourceARN, options.queuePrefix));
    return { delivery, group: groupOf(delivery, isFifoSource(record.eventSourceARN)) };
  });
  const { outcomes, bodies } = await runBatchHandler(records.map(({ delivery }) => delivery), handleBatch);

  const batchItemFailures: { itemIdentifier: string }[] = [];
  const stoppedGroups = new Set<string>();
  for (const { delivery, group } of records) {
    if (group !== undefined && stoppedGroups.has(group)) {
      batchItemFailures.push({ itemIdentifier: delivery.id });
      continue;
    }
    if (!outcomes.has(delivery.id)) continue;
    const context: SettleContext = { queue: delivery.queue, damagedStore: options.damagedStore, retryPolicy: options.retryPolicy, logger, now };
    try {
      await settleFailure(context, delivery, bodies.get(delivery.id), outcomes.get(delivery.id));
    } catch (error) {
      // Whatever kept it from being settled: unsettled is never deleted.
      logger.error({ queue: delivery.queue, messageId: delivery.id, error: toError(error).name }, 'message not settled; SQS will deliver it again');
      batchItemFailures.push({ itemIdentifier: delivery.id });
      if (group !== undefined) stoppedGroups.add(group);
    }
  }
  return { batchItemFailures };
}

/**
 * The single-message form, for a consumer whose work is one message at a time (payments-init):
 * `runSqsEventBatch` with a batch handler that runs `handleMessage` on each record in turn, each
 * failing alone. On a FIFO queue an InfrastructureError stops its message group: the group's later
 * records are not handled (they are reported with the failed one); other groups go on.
 */
export function runSqsEventPerMessage(event: SqsEvent, handleMessage: MessageHandler, options: SqsEventRunOptions): Promise<SqsBatchResponse> {
  const fifo = (event.Records ?? []).some((record) => isFifoSource(record.eventSourceARN));
  return runSqsEventBatch(
    event,
    async (messages) => {
      const failures: BatchFailures = new Map();
      const stoppedBy = new Map<string, InfrastructureError>();
      for (const { body, delivery } of messages) {
        const group = groupOf(delivery, fifo);
        const stopped = group !== undefined ? stoppedBy.get(group) : undefined;
        if (stopped) {
          failures.set(delivery.id, stopped);
          continue;
        }
        try {
          await handleMessage(body, delivery);
        } catch (error) {
          failures.set(delivery.id, error);
          if (group !== undefined && error instanceof InfrastructureError) stoppedBy.set(group, error);
        }
      }
      return failures;
    },
    options,
  );
}
