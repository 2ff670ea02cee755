/**
 * The consumer runner for SQS-triggered Lambda functions (an SQS event source mapping with
 * `functionResponseType: ReportBatchItemFailures`): Lambda receives and deletes, this settles each
 * record of its event by the consumer runner's outcome rules (settle.ts, shared, not copied):
 *
 * - success, a deliberate drop, a retryable or any other message error, a body that is not a
 *   JSON object: the message is settled (stored in `damaged` where the rules say so) and SQS
 *   deletes it, because it is not reported;
 * - an InfrastructureError (the database or the damaged store is down): the message is reported
 *   in `batchItemFailures`, SQS delivers it again after its visibility timeout, and after
 *   `maxReceiveCount` receives it lands in the dead-letter queue.
 *
 * On a FIFO queue the first failure also fails every later record of the batch, unprocessed:
 * SQS would otherwise deliver them again before the failed one, out of order.
 */
import { toError } from '../errors';
import { createLogger, type Logger } from '../log';
import { deliveryOf, isFifoSource, logicalQueueName, type SqsBatchResponse, type SqsEvent } from '../queue/sqs/lambda-event';
import type { MessageBody } from '../queue/types';
import type { DamagedStore } from './damaged-store';
import type { RetryPolicy } from './retry-policy';
import type { MessageHandler } from './run-consumer';
import { parseBody, settleFailure, type SettleContext } from './settle';

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

/**
 * Runs `handleMessage` on each record of `event` in turn, settles each, and reports the ones SQS
 * must deliver again; resolves (never rejects) so that Lambda deletes everything else.
 */
export async function runSqsEventPerMessage(event: SqsEvent, handleMessage: MessageHandler, options: SqsEventRunOptions): Promise<SqsBatchResponse> {
  const failures: { itemIdentifier: string }[] = [];
  const records = event.Records ?? [];
  const logger = options.logger ?? createLogger({ component: 'sqs-event' });
  let failFromHere = false;
  for (const record of records) {
    const queue = options.queue ?? logicalQueueName(record.eventSourceARN, options.queuePrefix);
    if (failFromHere) {
      failures.push({ itemIdentifier: record.messageId });
      continue;
    }
    const context: SettleContext = {
      queue,
      damagedStore: options.damagedStore,
      retryPolicy: options.retryPolicy,
      logger,
      now: options.now ?? (() => new Date()),
    };
    const delivery = deliveryOf(record, queue);
    let body: MessageBody | undefined;
    try {
      body = parseBody(delivery.body);
      await handleMessage(body, delivery);
    } catch (thrown) {
      try {
        await settleFailure(context, delivery, body, thrown);
      } catch (infrastructure) {
        logger.error({ queue, messageId: record.messageId, error: toError(infrastructure).name }, 'message not settled; SQS will deliver it again');
        failures.push({ itemIdentifier: record.messageId });
        if (isFifoSource(record.eventSourceARN)) failFromHere = true;
      }
    }
  }
  return { batchItemFailures: failures };
}
