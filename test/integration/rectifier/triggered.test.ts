import { randomBytes } from 'node:crypto';
import { DEFAULT_RETRY_POLICY } from '../../../lib/consumer/retry-policy';
import { consumePending } from '../../../lib/pending/consume-pending';
import { PendingStore } from '../../../lib/pending/pending-store';
import { triggerDelaySeconds } from '../../../lib/pending/rectify-trigger';
import type { AdapterRegistry } from '../../../lib/rectifier/adapters';
import type { RectifyOptions } from '../../../lib/rectifier/orphan-rectifier';
import { handleTriggers } from '../../../lib/rectifier/triggered';
import { consumeRectifySqsJob } from '../../../lib/rectifier/jobs';
import { lastGatewayRuns } from '../../../lib/rectifier/run-history';
import type { ProcessorSimulator } from '../../../scripts/processor-simulator';
import { createPendingTestEnv, startHostedProcessor, type PendingTestEnv } from '../../support/pending';
import fixture from '../../../fixtures/pending-message.json';

const HOSTED = 'ingenico';

describe('triggered rectification', () => {
  let env: PendingTestEnv;
  let simulator: ProcessorSimulator;
  let adapters: AdapterRegistry;
  const rectifyQueue = `itest-rectify-${Date.now()}-${randomBytes(3).toString('hex')}`;
  const nowSeconds = () => Math.floor(Date.now() / 1000);

  beforeAll(async () => {
    env = await createPendingTestEnv();
    ({ simulator, adapters } = await startHostedProcessor(HOSTED));
  });

  afterAll(async () => {
    await env.backend.purge(rectifyQueue);
    await simulator.close();
    await env.close();
  });

  beforeEach(async () => {
    await env.database.pool.query('DELETE FROM pending');
    await env.database.pool.query('DELETE FROM damaged');
    for (const queue of [rectifyQueue, env.queues.pending, env.queues.donations]) await env.backend.purge(queue);
    simulator.reset();
  });

  describe('triggerDelaySeconds', () => {
    it('should delay until due, clamp to the 15 minutes SQS allows, and never go below zero', () => {
      const now = new Date(1_800_000_000_000);

      expect([60, 3600, -5].map((ahead) => triggerDelaySeconds({ gateway: HOSTED, due: 1_800_000_000 + ahead }, now))).toEqual([60, 900, 0]);
    });
  });

  it('should push one trigger per rectified gateway of a batch, due when its earliest row is old enough', async () => {
    const t = nowSeconds();
    await env.backend.pushBatch(env.queues.pending, [
      { ...fixture, gateway: HOSTED, order_id: '4001.1', date: t - 3600 },
      { ...fixture, gateway: HOSTED, order_id: '4002.1', date: t - 3000 },
      { ...fixture, gateway: 'not-rectified', order_id: '4003.1', date: t - 3600 },
    ]);

    await consumePending(env.deps, {
      queue: env.queues.pending, timeLimitSeconds: 10, messageLimit: 0, batchSize: 10, resolveMode: 'delete',
      trigger: { queue: rectifyQueue, minAgeMinutes: 30, gateways: [HOSTED] },
    });

    const triggers = await env.queued(rectifyQueue);
    expect(triggers).toEqual([expect.objectContaining({ gateway: HOSTED, due: t - 3600 + 1800 })]);
  });

  it('should delay the trigger of a fresh row, clamped to 15 minutes', async () => {
    await env.backend.push(env.queues.pending, { ...fixture, gateway: HOSTED, order_id: '4004.1', date: nowSeconds() });

    await consumePending(env.deps, {
      queue: env.queues.pending, timeLimitSeconds: 10, messageLimit: 0, batchSize: 10, resolveMode: 'delete',
      trigger: { queue: rectifyQueue, minAgeMinutes: 30, gateways: [HOSTED] },
    });

    expect(await env.backend.stats(rectifyQueue)).toMatchObject({ ready: 0, delayed: 1 });
  });

  it('should rectify the gateway of a due trigger, chain one not yet due, and drop one of a gateway nobody rectifies', async () => {
    await new PendingStore(env.database.db).store({ ...fixture, gateway: HOSTED, order_id: '4010.1', date: nowSeconds() - 3600 });
    simulator.setOrder('4010.1', { statusCode: 800 });
    await env.backend.pushBatch(rectifyQueue, [
      { gateway: HOSTED, due: nowSeconds() - 10 },
      { gateway: HOSTED, due: nowSeconds() + 1200 },
      { gateway: 'not-rectified', due: nowSeconds() - 10 },
    ]);
    const leased = await env.backend.lease(rectifyQueue, { max: 10 });
    const options: RectifyOptions & { triggerQueue: string } = {
      gateways: [HOSTED], minAgeMinutes: 30, limitPerGateway: 0, timeLimitSeconds: 30, resolveMode: 'delete',
      donationsQueue: env.queues.donations, pendingQueue: env.queues.pending, triggerQueue: rectifyQueue,
    };

    const { failures, result } = await handleTriggers(
      { db: env.database.db, trackingDb: env.database.db, backend: env.backend, damagedStore: env.damagedStore, adapters, retryPolicy: DEFAULT_RETRY_POLICY, logger: env.deps.logger! },
      leased.map((delivery) => ({ delivery, body: JSON.parse(delivery.body) as Record<string, unknown> })),
      options,
    );

    expect(failures.size).toBe(0);
    expect(result!.gateways[HOSTED]).toMatchObject({ attempted: 1, outcomes: { completed: 1 } });
    expect(simulator.calls().map((call) => call.path)).toEqual(['/hosted-payment/orders/4010.1']);
    expect(await env.queued(env.queues.donations)).toEqual([expect.objectContaining({ order_id: '4010.1' })]);
    // The three leased ones are still in flight (the runner acks them); the chained one waits delayed.
    expect(await env.backend.stats(rectifyQueue)).toMatchObject({ inFlight: 3, delayed: 1 });
  });

  it('should answer an SQS event of triggers as consume-rectify-sqs runs it: due triggers rectified, a malformed one in damaged, none redelivered', async () => {
    await new PendingStore(env.database.db).store({ ...fixture, gateway: HOSTED, order_id: '4020.1', date: nowSeconds() - 3600 });
    simulator.setOrder('4020.1', { statusCode: 1800 });
    const record = (body: string, i: number) => ({
      messageId: `m-${i}`, receiptHandle: `r-${i}`, body, attributes: { ApproximateReceiveCount: '1', SentTimestamp: String(Date.now()) },
      eventSource: 'aws:sqs', eventSourceARN: `arn:aws:sqs:us-east-1:000000000000:test-${rectifyQueue}`,
    });
    const event = { Records: [JSON.stringify({ gateway: HOSTED, due: nowSeconds() - 5 }), '{"gateway": 7}'].map(record) };

    const response = await consumeRectifySqsJob.run(
      { db: env.database.db, trackingDb: env.database.db, backend: env.backend, damagedStore: env.damagedStore, logger: env.deps.logger! },
      {
        adapters, retryPolicy: DEFAULT_RETRY_POLICY, gateways: [HOSTED], minAgeMinutes: 30, limitPerGateway: 0, timeLimitSeconds: 30, concurrency: 1, resolveMode: 'delete',
        donationsQueue: env.queues.donations, pendingQueue: env.queues.pending, triggerQueue: rectifyQueue, history: { source: 'triggered', keep: 5 },
      },
      event,
    );

    expect(response).toEqual({ batchItemFailures: [] });
    expect(simulator.calls().map((call) => call.path)).toEqual(['/hosted-payment/orders/4020.1']);
    const damaged = await env.rows<{ original_queue: string; error: string }>('SELECT original_queue, error FROM damaged');
    expect(damaged).toEqual([expect.objectContaining({ original_queue: rectifyQueue })]);
    expect(damaged[0]!.error).toContain('invalid rectify trigger');
    expect(await lastGatewayRuns(env.database.db, { limit: 5 })).toEqual([expect.objectContaining({ gateway: HOSTED, source: 'triggered', attempted: 1, processorStatuses: { refunded: 1 } })]);
  });
});
