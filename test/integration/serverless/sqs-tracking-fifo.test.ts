/**
 * consume-contribution-tracking-sqs on its FIFO queue, on the fauxqs emulator: the tracking
 * messages pushed grouped by tracking id (MessageGroupId = the id), two Lambda invocation loops at
 * once (test/support/sqs-event-source.ts plays the event source mapping), each batch spanning
 * several groups and so several partitions' writer locks, taken in ascending order. Every id's
 * events must be written in push order and the summary must equal the rebuild.
 */
import { randomBytes } from 'node:crypto';
import { DeleteQueueCommand, GetQueueAttributesCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { RowDataPacket } from 'mysql2/promise';
import { createDamagedStore } from '../../../lib/consumer/damaged-store';
import { DEFAULT_RETRY_POLICY } from '../../../lib/consumer/retry-policy';
import { createLogger } from '../../../lib/log';
import { PartitionedQueue, type PartitionSpec } from '../../../lib/queue/partitions';
import { provisionQueue } from '../../../lib/queue/sqs/provision';
import { consumeContributionTrackingSqsEvent } from '../../../lib/tracking/consumer';
import { rebuildTrackingSummary } from '../../../lib/tracking/rebuild';
import { createTestDatabase, type TestDatabase } from '../../support/database';
import { waitUntil } from '../../support/partitions';
import { startTestSqs, type TestSqs } from '../../support/sqs';
import { startEventSource } from '../../support/sqs-event-source';

jest.setTimeout(120_000);

const logger = createLogger({ component: 'test' }, { level: 'silent' });

describe('consumeContributionTrackingSqsEvent on the FIFO tracking queue', () => {
  let sqs: TestSqs;
  let client: SQSClient;
  let database: TestDatabase;

  beforeAll(async () => {
    sqs = await startTestSqs();
    client = sqs.createClient();
    database = await createTestDatabase();
  });

  afterAll(async () => {
    client?.destroy();
    await sqs?.stop();
    await database?.drop();
  });

  const rows = async (sql: string) => (await database.pool.query<RowDataPacket[]>(sql))[0];

  it("should write every id's events in push order with two invocations at once, the summary equal to the rebuild", async () => {
    // arrange: a FIFO queue as the definitions declare tracking's (no content-based deduplication)
    const name = `tracking${randomBytes(4).toString('hex')}`;
    const { queueUrl, deadLetterQueueUrl } = await provisionQueue(client, sqs.queuePrefix, { name, fifo: true, visibilityTimeoutSeconds: 5, maxReceiveCount: 100 });
    expect(queueUrl).toMatch(/\.fifo$/);
    const { Attributes } = await client.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }));
    const backend = sqs.createBackend({ defaultFifo: true });
    const spec: PartitionSpec = { queue: name, partitions: 8, partitionKey: 'id' };
    const ids = 12;
    const events = 6;
    const messages: Array<Record<string, string>> = [];
    for (let n = 0; n < events; n++) for (let i = 0; i < ids; i++) messages.push({ id: String(800_000 + i), ts: `202612031100${String(n).padStart(2, '0')}`, nonce: String(n) });
    await new PartitionedQueue(backend, spec).pushBatch(messages);
    const options = { pool: database.pool, damagedStore: createDamagedStore(database.db), retryPolicy: DEFAULT_RETRY_POLICY, logger, queue: name, partitionSpec: spec };
    const invocations: number[] = [];
    const run = (loop: number) => async (event: Parameters<typeof consumeContributionTrackingSqsEvent>[0]) => {
      invocations.push(loop);
      return consumeContributionTrackingSqsEvent(event, options);
    };

    // act
    const loops = [0, 1].map((loop) => startEventSource({ client, queueUrl, queueArn: Attributes!.QueueArn!, run: run(loop) }));
    try {
      await waitUntil(async () => Number((await rows('SELECT COUNT(*) AS n FROM contribution_tracking_event'))[0]!.n) === ids * events, 60_000);
    } finally {
      await Promise.all(loops.map((loop) => loop.stop()));
      await backend.close();
      for (const url of [queueUrl, deadLetterQueueUrl]) await client.send(new DeleteQueueCommand({ QueueUrl: url }));
    }

    // assert
    expect(new Set(invocations)).toEqual(new Set([0, 1]));
    const logged = await rows('SELECT contribution_tracking_id AS trackingId, message FROM contribution_tracking_event ORDER BY id');
    const order = new Map<number, number[]>();
    for (const row of logged) order.set(Number(row.trackingId), [...(order.get(Number(row.trackingId)) ?? []), Number(JSON.parse(String(row.message)).nonce)]);
    expect(order.size).toBe(ids);
    for (const [id, nonces] of order) expect({ id, nonces }).toEqual({ id, nonces: Array.from({ length: events }, (_, n) => n) });
    expect(await rows('SELECT COUNT(*) AS n FROM damaged')).toEqual([{ n: 0 }]);
    expect((await rebuildTrackingSummary(database.pool, logger, { check: true, partitionSpec: spec })).differing).toEqual([]);
  });
});
