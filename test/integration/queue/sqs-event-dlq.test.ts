/**
 * The SQS-triggered handler path end to end on the emulator: we play Lambda's event source
 * mapping (receive a batch, call the handler, delete what it did not report, let the reported
 * ones come back after their visibility timeout) and check where every message ends up.
 */
import { randomBytes } from 'node:crypto';
import { GetQueueAttributesCommand, GetQueueUrlCommand, SendMessageBatchCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { createDamagedStore } from '../../../lib/consumer/damaged-store';
import { DEFAULT_RETRY_POLICY } from '../../../lib/consumer/retry-policy';
import type { BatchFailures, BatchMessage } from '../../../lib/consumer/run-batch-consumer';
import { runSqsEventBatch } from '../../../lib/consumer/run-sqs-event';
import { damaged } from '../../../lib/db/schema';
import { InfrastructureError } from '../../../lib/errors';
import { createLogger } from '../../../lib/log';
import { provisionQueue } from '../../../lib/queue/sqs/provision';
import { createTestDatabase, type TestDatabase } from '../../support/database';
import { startTestSqs, type TestSqs } from '../../support/sqs';
import { deleteUnreported, receiveBatch, toEvent } from '../../support/sqs-event-source';

// Per-project testTimeout does not apply when jest runs several projects at once; the emulator's start counts too.
jest.setTimeout(30_000);

const MAX_RECEIVE_COUNT = 3;
const VISIBILITY_SECONDS = 1;

describe('runSqsEventBatch with the SQS event source on the emulator', () => {
  let sqs: TestSqs;
  let client: SQSClient;
  let database: TestDatabase;

  beforeAll(async () => {
    [sqs, database] = await Promise.all([startTestSqs(), createTestDatabase()]);
    client = sqs.createClient();
  });
  afterAll(async () => {
    client?.destroy();
    await sqs?.stop();
    await database?.drop();
  });

  it('should report exactly the 3 failed messages of 10, which reach the DLQ after maxReceiveCount receives', async () => {
    const name = `events${randomBytes(3).toString('hex')}`;
    const { queueUrl, deadLetterQueueUrl } = await provisionQueue(client, sqs.queuePrefix, {
      name,
      fifo: false,
      visibilityTimeoutSeconds: VISIBILITY_SECONDS,
      maxReceiveCount: MAX_RECEIVE_COUNT,
    });
    const { Attributes } = await client.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }));
    const arn = Attributes!.QueueArn!;
    const failing = new Set([2, 5, 9]);
    const bodies = Array.from({ length: 10 }, (_, n) => (n === 7 ? '{"n":7, broken' : JSON.stringify({ n, order_id: `${n}.1` })));
    await client.send(new SendMessageBatchCommand({ QueueUrl: queueUrl, Entries: bodies.map((body, i) => ({ Id: String(i), MessageBody: body })) }));
    const handled: number[] = [];
    /** Writes the batch, except that the rows of `failing` meet an unreachable database. */
    const handler = async (messages: BatchMessage[]): Promise<BatchFailures> => {
      const failures: BatchFailures = new Map();
      for (const { body, delivery } of messages) {
        const n = body.n as number;
        if (failing.has(n)) failures.set(delivery.id, new InfrastructureError('the CRM database is unreachable'));
        else handled.push(n);
      }
      return failures;
    };
    const options = { damagedStore: createDamagedStore(database.db), retryPolicy: DEFAULT_RETRY_POLICY, queuePrefix: sqs.queuePrefix, logger: createLogger({}, { level: 'silent' }) };

    // First delivery: one batch of 10, as Lambda would receive it.
    const firstBatch = await receiveBatch(client, queueUrl);
    expect(firstBatch).toHaveLength(10);
    const response = await runSqsEventBatch(toEvent(firstBatch, arn), handler, options);
    const failedIds = new Set(response.batchItemFailures.map((f) => f.itemIdentifier));
    const failedBodies = firstBatch.filter((m) => failedIds.has(m.MessageId!)).map((m) => m.Body);
    expect(response.batchItemFailures).toHaveLength(3);
    expect(failedBodies.map((b) => JSON.parse(b!).n).sort()).toEqual([2, 5, 9]);
    await deleteUnreported(client, queueUrl, firstBatch, response);

    // Redeliveries until SQS gives up on them: each time they come back, they fail again.
    let receives = 1;
    for (let round = 0; round < 20; round += 1) {
      await new Promise((resolve) => setTimeout(resolve, VISIBILITY_SECONDS * 1000 + 50));
      const batch = await receiveBatch(client, queueUrl);
      if (batch.length === 0) break;
      receives += 1;
      expect(batch.map((m) => Number(m.Attributes!.ApproximateReceiveCount))).toEqual(batch.map(() => receives));
      const again = await runSqsEventBatch(toEvent(batch, arn), handler, options);
      expect(again.batchItemFailures).toHaveLength(batch.length);
      await deleteUnreported(client, queueUrl, batch, again);
    }

    expect(receives).toBe(MAX_RECEIVE_COUNT);
    const dead = await receiveBatch(client, deadLetterQueueUrl);
    expect(dead.map((m) => m.Body).sort()).toEqual([...failedBodies].sort());
    expect(handled.sort((a, b) => a - b)).toEqual([0, 1, 3, 4, 6, 8]);
    const rows = await database.db.select().from(damaged);
    expect(rows.map((r) => [r.message, r.originalQueue])).toEqual([['{"n":7, broken', name]]);
    const { QueueUrl } = await client.send(new GetQueueUrlCommand({ QueueName: `${sqs.queuePrefix}${name}` }));
    const left = await client.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'] }));
    expect(left.Attributes).toEqual({ ApproximateNumberOfMessages: '0', ApproximateNumberOfMessagesNotVisible: '0' });
  });
});
