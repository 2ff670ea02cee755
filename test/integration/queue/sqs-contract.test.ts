/**
 * The queue contract suite on the SQS backend against the fauxqs emulator (one emulator for the
 * file, a fresh standard queue with its DLQ per test).
 *
 * SQS declares guarantees false (SqsQueueBackend.capabilities), for reasons of the service, not
 * of this backend; the cases that touch them still run and assert what does hold:
 * - orderedRedelivery: a standard SQS queue keeps no order after a release or an expired lease:
 *   the emulator puts the message behind the others, AWS promises no place at all. It is still
 *   delivered again, at once, with a higher receive count, and dead-lettered in time.
 * - reportsOldestAge: SQS exposes the age of the oldest message only as a CloudWatch metric
 *   (ApproximateAgeOfOldestMessage), not as a queue attribute: stats report null.
 */
import { randomBytes } from 'node:crypto';
import { DeleteQueueCommand, GetQueueUrlCommand } from '@aws-sdk/client-sqs';
import { startTestSqs, type TestSqs } from '../../support/sqs';
import { describeQueueContract } from './contract';

// The contract sets its own timeout; the emulator's start in beforeAll gets the same.
jest.setTimeout(30_000);

let sqs: TestSqs;

beforeAll(async () => {
  sqs = await startTestSqs();
});
afterAll(async () => {
  await sqs?.stop();
});

describeQueueContract(
  'sqs',
  async (settings) => {
    const backend = sqs.createBackend({ defaults: settings });
    const queue = `contract-${randomBytes(4).toString('hex')}`;
    return {
      backend,
      queue,
      async cleanup() {
        await backend.close();
        const client = sqs.createClient();
        try {
          for (const name of [`${sqs.queuePrefix}${queue}`, `${sqs.queuePrefix}${queue}-dlq`]) {
            const found = await client.send(new GetQueueUrlCommand({ QueueName: name })).catch(() => undefined);
            if (found?.QueueUrl) await client.send(new DeleteQueueCommand({ QueueUrl: found.QueueUrl }));
          }
        } finally {
          client.destroy();
        }
      },
    };
  }
);
