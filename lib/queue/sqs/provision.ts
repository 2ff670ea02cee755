/**
 * Creates a queue and its dead-letter queue with the redrive policy that makes SQS count
 * deliveries: the emulator's start-up and the backend's create-on-first-use (local only) share it.
 * On AWS, CloudFormation (serverless/resources-sqs.yml) creates the same queues instead.
 */
import { CreateQueueCommand, GetQueueAttributesCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { sqsDeadLetterQueueName, sqsQueueName } from './definitions';

export interface QueueShape {
  name: string;
  fifo: boolean;
  /** FIFO only: SQS derives a push's deduplication id from the SHA-256 of its body when it carries none. */
  contentBasedDeduplication?: boolean;
  visibilityTimeoutSeconds: number;
  maxReceiveCount: number;
  messageRetentionSeconds?: number;
  deadLetterRetentionSeconds?: number;
}

export interface ProvisionedQueue {
  queueUrl: string;
  deadLetterQueueUrl: string;
}

/** Idempotent: an existing queue with the same attributes is returned as it is. */
export async function provisionQueue(client: SQSClient, prefix: string, queue: QueueShape): Promise<ProvisionedQueue> {
  const fifoAttributes: Record<string, string> = queue.fifo ? { FifoQueue: 'true', ContentBasedDeduplication: String(queue.contentBasedDeduplication ?? false) } : {};
  const dlq = await client.send(
    new CreateQueueCommand({
      QueueName: sqsDeadLetterQueueName(prefix, queue.name, queue.fifo),
      Attributes: {
        ...fifoAttributes,
        ...(queue.deadLetterRetentionSeconds ? { MessageRetentionPeriod: String(queue.deadLetterRetentionSeconds) } : {}),
      },
    }),
  );
  const dlqUrl = dlq.QueueUrl!;
  const arn = await client.send(new GetQueueAttributesCommand({ QueueUrl: dlqUrl, AttributeNames: ['QueueArn'] }));
  const created = await client.send(
    new CreateQueueCommand({
      QueueName: sqsQueueName(prefix, queue.name, queue.fifo),
      Attributes: {
        ...fifoAttributes,
        VisibilityTimeout: String(queue.visibilityTimeoutSeconds),
        ...(queue.messageRetentionSeconds ? { MessageRetentionPeriod: String(queue.messageRetentionSeconds) } : {}),
        RedrivePolicy: JSON.stringify({
          deadLetterTargetArn: arn.Attributes!.QueueArn,
          maxReceiveCount: queue.maxReceiveCount,
        }),
      },
    }),
  );
  return { queueUrl: created.QueueUrl!, deadLetterQueueUrl: dlqUrl };
}
