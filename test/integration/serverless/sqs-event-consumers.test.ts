/**
 * The SQS-triggered consumers (serverless/consumers-sqs.yml) against a real database: the lib
 * calls their handlers make, fed Lambda SQS events. What is stored, what goes to `damaged`, and
 * what is reported in batchItemFailures (only records that met a database outage).
 */
import first from '../../../fixtures/contribution-tracking-first.json';
import paymentsInit from '../../../fixtures/payments-init.json';
import pendingMessage from '../../../fixtures/pending-message.json';
import { createDamagedStore } from '../../../lib/consumer/damaged-store';
import { DEFAULT_RETRY_POLICY } from '../../../lib/consumer/retry-policy';
import { openDatabase } from '../../../lib/db/client';
import { createLogger } from '../../../lib/log';
import { consumePaymentsInitSqsJob, consumePendingSqsJob } from '../../../lib/pending/jobs';
import type { SqsEvent } from '../../../lib/queue/sqs/lambda-event';
import { consumeContributionTrackingSqsEvent } from '../../../lib/tracking/consumer';
import type { TriggerOptions } from '../../../lib/pending/rectify-trigger';
import { createTestDatabase, type TestDatabase } from '../../support/database';
import { MemoryQueueBackend } from '../../support/memory-queue-backend';

jest.setTimeout(60_000);

const logger = createLogger({ component: 'test' }, { level: 'silent' });
const UNREACHABLE_DATABASE = 'mysql://root@127.0.0.1:1/none';

function sqsEvent(queue: string, bodies: string[]): SqsEvent {
  return {
    Records: bodies.map((body, i) => ({
      messageId: `message-${i}`,
      receiptHandle: `receipt-${i}`,
      body,
      attributes: { ApproximateReceiveCount: '1', SentTimestamp: String(Date.now()) },
      eventSource: 'aws:sqs',
      eventSourceARN: `arn:aws:sqs:us-east-1:000000000000:test-${queue}`,
    })),
  };
}

/** The clients the SQS-event functions open (no queue backend: Lambda receives and deletes). */
function runtimeOn(url: string, connectionLimit = 2) {
  const database = openDatabase(url, { connectionLimit });
  return { database, deps: { db: database.db, pool: database.pool, damagedStore: createDamagedStore(database.db), logger } };
}

type Runtime = ReturnType<typeof runtimeOn>;

const sqsOptions = (queue: string) => ({ queue, retryPolicy: DEFAULT_RETRY_POLICY });
const consumePendingSqsEvent = (runtime: Runtime, event: SqsEvent, backend = new MemoryQueueBackend(), trigger?: TriggerOptions) =>
  consumePendingSqsJob(() => trigger).run({ ...runtime.deps, backend }, { ...sqsOptions('pending'), resolveMode: 'delete', trigger }, event);
const consumePaymentsInitSqsEvent = (runtime: Runtime, event: SqsEvent) => consumePaymentsInitSqsJob.run(runtime.deps, sqsOptions('payments-init'), event);

describe('SQS-triggered consumers', () => {
  let database: TestDatabase;
  let runtime: Runtime;
  const rows = async (sql: string) => (await database.pool.query(sql))[0] as Array<Record<string, unknown>>;

  beforeAll(async () => {
    database = await createTestDatabase();
    runtime = runtimeOn(database.url);
  });

  afterAll(async () => {
    await runtime.database.close();
    await database.drop();
  });

  it('should store pending records, keep a malformed one in damaged, and report none for redelivery', async () => {
    const event = sqsEvent('pending', [JSON.stringify({ ...pendingMessage, order_id: 'sqs-event.1' }), 'not json']);

    const response = await consumePendingSqsEvent(runtime, event);

    expect(response).toEqual({ batchItemFailures: [] });
    expect(await rows("SELECT order_id FROM pending WHERE order_id = 'sqs-event.1'")).toHaveLength(1);
    const damaged = await rows("SELECT original_queue, message FROM damaged WHERE original_queue = 'pending'");
    expect(damaged).toEqual([{ original_queue: 'pending', message: 'not json' }]);
  });

  it('should push a rectify trigger for the gateway of the stored records', async () => {
    const backend = new MemoryQueueBackend();
    const date = Math.floor(Date.now() / 1000) - 7200;
    const event = sqsEvent('pending', [JSON.stringify({ ...pendingMessage, order_id: 'sqs-trigger.1', date })]);

    await consumePendingSqsEvent(runtime, event, backend, { queue: 'rectify', minAgeMinutes: 30, gateways: [pendingMessage.gateway] });

    expect((await backend.peek('rectify', 10)).map((body) => JSON.parse(body))).toEqual([expect.objectContaining({ gateway: pendingMessage.gateway, due: date + 1800 })]);
  });

  it('should store an SQS batch of pending records with one multi-row INSERT', async () => {
    // One connection: the session's INSERT counter then counts every statement the consumer sent.
    const single = runtimeOn(database.url, 1);
    const insertsSoFar = async () => {
      const [status] = (await single.database.pool.query("SHOW SESSION STATUS LIKE 'Com_insert'")) as unknown as [Array<{ Value: string }>];
      return Number(status[0]!.Value);
    };
    try {
      const orders = Array.from({ length: 10 }, (_, n) => `sqs-batch.${n}`);
      const event = sqsEvent('pending', orders.map((orderId) => JSON.stringify({ ...pendingMessage, order_id: orderId })));
      const before = await insertsSoFar();

      const response = await consumePendingSqsEvent(single, event);

      expect(response).toEqual({ batchItemFailures: [] });
      expect((await insertsSoFar()) - before).toBe(1);
      const stored = await rows("SELECT order_id FROM pending WHERE order_id LIKE 'sqs-batch.%' ORDER BY id");
      expect(stored.map((row) => row.order_id)).toEqual(orders);
    } finally {
      await single.database.close();
    }
  });

  it('should upsert payments-init records into payments_initial', async () => {
    const response = await consumePaymentsInitSqsEvent(runtime, sqsEvent('payments-init', [JSON.stringify(paymentsInit)]));

    expect(response).toEqual({ batchItemFailures: [] });
    expect(await rows(`SELECT order_id FROM payments_initial WHERE order_id = '${paymentsInit.order_id}'`)).toHaveLength(1);
  });

  it('should write contribution tracking records in one batch and drop a redelivered one', async () => {
    const options = { pool: database.pool, damagedStore: runtime.deps.damagedStore, retryPolicy: DEFAULT_RETRY_POLICY, logger, queue: 'contribution-tracking' };
    const event = sqsEvent('contribution-tracking', [JSON.stringify(first)]);

    const responses = [await consumeContributionTrackingSqsEvent(event, options), await consumeContributionTrackingSqsEvent(event, options)];

    expect(responses).toEqual([{ batchItemFailures: [] }, { batchItemFailures: [] }]);
    expect(await rows(`SELECT id, utm_source FROM contribution_tracking WHERE id = ${first.id}`)).toEqual([{ id: Number(first.id), utm_source: first.utm_source }]);
  });

  it('should report every record for redelivery when the database and the damaged store are down', async () => {
    const down = runtimeOn(UNREACHABLE_DATABASE);
    try {
      const pending = await consumePendingSqsEvent(down, sqsEvent('pending', [JSON.stringify({ ...pendingMessage, order_id: 'sqs-event.2' }), '{}']));
      const tracking = await consumeContributionTrackingSqsEvent(sqsEvent('contribution-tracking', [JSON.stringify(first)]), {
        pool: down.database.pool,
        damagedStore: down.deps.damagedStore,
        retryPolicy: DEFAULT_RETRY_POLICY,
        logger,
        queue: 'contribution-tracking',
      });

      expect(pending.batchItemFailures.map((f) => f.itemIdentifier)).toEqual(['message-0', 'message-1']);
      expect(tracking.batchItemFailures.map((f) => f.itemIdentifier)).toEqual(['message-0']);
    } finally {
      await down.database.close();
    }
  });
});
