/**
 * Lambda's SQS event source mapping, played on the emulator: receive a batch, hand it to the
 * function as an event, delete what the partial batch response did not report, and leave the
 * reported records to come back after their visibility timeout. On a FIFO queue SQS itself keeps
 * each message group in order and hands a group to one receiver at a time, as Lambda relies on.
 */
import { DeleteMessageBatchCommand, ReceiveMessageCommand, type Message, type SQSClient } from '@aws-sdk/client-sqs';
import type { SqsBatchResponse, SqsEvent } from '../../lib/queue/sqs/lambda-event';

/** What Lambda hands the function for a batch it received (FIFO records carry their MessageGroupId). */
export function toEvent(messages: Message[], arn: string): SqsEvent {
  return {
    Records: messages.map((m) => ({
      messageId: m.MessageId!,
      receiptHandle: m.ReceiptHandle!,
      body: m.Body!,
      attributes: {
        ApproximateReceiveCount: m.Attributes!.ApproximateReceiveCount!,
        SentTimestamp: m.Attributes!.SentTimestamp!,
        ...(m.Attributes?.MessageGroupId ? { MessageGroupId: m.Attributes.MessageGroupId } : {}),
      },
      messageAttributes: {},
      eventSource: 'aws:sqs',
      eventSourceARN: arn,
      awsRegion: 'us-east-1',
    })),
  };
}

/** One receive of up to `max` messages with every system attribute, as the event source asks. */
export async function receiveBatch(client: SQSClient, url: string, max = 10, visibilitySeconds?: number): Promise<Message[]> {
  const result = await client.send(
    new ReceiveMessageCommand({
      QueueUrl: url,
      MaxNumberOfMessages: max,
      WaitTimeSeconds: 0,
      MessageSystemAttributeNames: ['All'],
      ...(visibilitySeconds !== undefined ? { VisibilityTimeout: visibilitySeconds } : {}),
    }),
  );
  return result.Messages ?? [];
}

/** What Lambda does with a partial batch response: deletes every message of the batch not reported. */
export async function deleteUnreported(client: SQSClient, url: string, batch: Message[], response: SqsBatchResponse): Promise<void> {
  const failed = new Set(response.batchItemFailures.map((f) => f.itemIdentifier));
  const done = batch.filter((m) => !failed.has(m.MessageId!));
  if (done.length === 0) return;
  await client.send(new DeleteMessageBatchCommand({ QueueUrl: url, Entries: done.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle! })) }));
}

export interface EventSourceOptions {
  client: SQSClient;
  queueUrl: string;
  queueArn: string;
  /** The function: one event in, the partial batch response out. */
  run: (event: SqsEvent) => Promise<SqsBatchResponse>;
  batchSize?: number;
  /** How long to wait after an empty receive. */
  idleMs?: number;
}

/** One concurrent Lambda invocation loop of the mapping; stop() ends it after the batch in progress. */
export function startEventSource(options: EventSourceOptions): { stop(): Promise<void> } {
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      const batch = await receiveBatch(options.client, options.queueUrl, options.batchSize ?? 10);
      if (batch.length === 0) {
        await new Promise((resolve) => setTimeout(resolve, options.idleMs ?? 20));
        continue;
      }
      const response = await options.run(toEvent(batch, options.queueArn));
      await deleteUnreported(options.client, options.queueUrl, batch, response);
    }
  })();
  return {
    async stop() {
      stopped = true;
      await loop;
    },
  };
}
