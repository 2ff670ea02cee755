/**
 * The pending lifecycle's acceptance property (docs/architecture.md §7.1): whatever the
 * interleaving of pending messages (redelivered, pushed twice, newer attempts), completions (queue
 * and library), payments-init outcomes, processor answers and faults, CRM imports, consumer
 * crashes (a batch stored and never acked, so delivered again), requeues of damaged rows and
 * rectifier runs, afterwards
 * - each order's donation was pushed at most once,
 * - an order settled by its completion, or complete at the processor, was never cancelled,
 * - no pending row outlives its settlement.
 *
 * Real parts: MariaDB (the pending and the tracking capability in two databases), the Redis
 * queue, the Worldline Connect adapter (official SDK) against the Worldline simulator. The seed
 * is fixed and the runs bounded so that CI sees the same cases in about a minute;
 * PROPERTY_SEED and PROPERTY_RUNS explore others.
 */
import fc from 'fast-check';
import { runBatchHandler } from '../../../lib/consumer/run-batch-consumer';
import { requeueDamaged } from '../../../lib/consumer/requeue-damaged';
import { DEFAULT_RETRY_POLICY } from '../../../lib/consumer/retry-policy';
import { contributionTracking } from '../../../lib/db/schema';
import { settleOrder } from '../../../lib/pending/complete-order';
import { consumePaymentsInit } from '../../../lib/pending/consume-payments-init';
import { consumePending, pendingBatchHandler } from '../../../lib/pending/consume-pending';
import { PendingStore, type ResolveMode } from '../../../lib/pending/pending-store';
import { SettledOrdersStore } from '../../../lib/pending/settled-orders-store';
import { adaptersFromConfig, type AdapterRegistry } from '../../../lib/rectifier/adapters';
import { rectifierConfig } from '../../../lib/rectifier/config';
import { rectifyOrphans, RectifierStoppedError } from '../../../lib/rectifier/orphan-rectifier';
import { startWorldlineSimulator, type WorldlinePaymentState, type WorldlineSimulator } from '../../../scripts/simulators/worldline';
import { createTestDatabase, type TestDatabase } from '../../support/database';
import { createPendingTestEnv, type PendingTestEnv } from '../../support/pending';
import fixture from '../../../fixtures/pending-message.json';
import paymentsInitFixture from '../../../fixtures/payments-init.json';

const GATEWAY = 'ingenico';
const ORDERS = 4;
const SEED = Number(process.env.PROPERTY_SEED ?? 20261202);
const RUNS = Number(process.env.PROPERTY_RUNS ?? 150);
const CREDENTIALS = { merchantId: '1234', apiKeyId: 'key-property', secretApiKey: 'secret-property' };

/** What the processor holds for an order's payment, as Connect reports it. */
const PROCESSOR_STATES: Record<string, WorldlinePaymentState> = {
  redirected: { status: 'REDIRECTED', statusCode: 50, isCancellable: true },
  'pending-approval': { status: 'PENDING_APPROVAL', statusCode: 600, isCancellable: true },
  captured: { status: 'CAPTURED', statusCode: 900, isCancellable: false },
  'capture-requested': { status: 'CAPTURE_REQUESTED', statusCode: 800, isCancellable: true },
  rejected: { status: 'REJECTED', statusCode: 100, isCancellable: false },
  'fraud-review': { status: 'PENDING_FRAUD_APPROVAL', statusCode: 525, isCancellable: true },
  'waiting-processor': { status: 'AUTHORIZATION_REQUESTED', statusCode: 300, isCancellable: false },
};
const COMPLETE_CODES = (code: number) => (code >= 800 && code <= 975) || (code >= 1000 && code <= 1050);

type Step =
  | { kind: 'pending'; order: number; attempt: number }
  | { kind: 'complete'; order: number; door: 'queue' | 'library' }
  | { kind: 'payments-init'; order: number; outcome: 'complete' | 'failed' | 'review' }
  | { kind: 'processor'; order: number; state: string }
  | { kind: 'processor-fault'; httpStatus: 500 | 503 }
  | { kind: 'crm-import'; order: number }
  | { kind: 'consume'; max: number }
  | { kind: 'crash'; max: number }
  | { kind: 'requeue-damaged' }
  | { kind: 'rectify' };

const order = fc.integer({ min: 0, max: ORDERS - 1 });
const stepArbitrary: fc.Arbitrary<Step> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ kind: fc.constant('pending' as const), order, attempt: fc.integer({ min: 0, max: 1 }) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('complete' as const), order, door: fc.constantFrom('queue' as const, 'library' as const) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('payments-init' as const), order, outcome: fc.constantFrom('complete' as const, 'failed' as const, 'review' as const) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('processor' as const), order, state: fc.constantFrom(...Object.keys(PROCESSOR_STATES)) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('processor-fault' as const), httpStatus: fc.constantFrom(500 as const, 503 as const) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('crm-import' as const), order }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('consume' as const), max: fc.integer({ min: 1, max: 4 }) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('crash' as const), max: fc.integer({ min: 1, max: 4 }) }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'requeue-damaged' as const }) },
  { weight: 3, arbitrary: fc.constant({ kind: 'rectify' as const }) },
);
interface Scenario {
  resolveMode: ResolveMode;
  /** The processor state of each order's payment before anything happens. */
  initial: string[];
  steps: Step[];
}
const scenarioArbitrary: fc.Arbitrary<Scenario> = fc.record({
  resolveMode: fc.constantFrom<ResolveMode>('delete', 'mark-resolved'),
  initial: fc.array(fc.constantFrom(...Object.keys(PROCESSOR_STATES)), { minLength: ORDERS, maxLength: ORDERS }),
  steps: fc.array(stepArbitrary, { minLength: 1, maxLength: 30 }),
});

const orderId = (index: number) => `${7100 + index}.1`;
const paymentId = (index: number) => `pay-${7100 + index}`;

describe('the pending lifecycle (property)', () => {
  let env: PendingTestEnv;
  let tracking: TestDatabase;
  let worldline: WorldlineSimulator;
  let adapters: AdapterRegistry;
  const base = Math.floor(Date.now() / 1000) - 3600;
  /** What the cases did, summed: the property means something only if the paths it guards were taken. */
  const seen = { donations: 0, cancels: 0, completions: 0, redeliveries: 0, damaged: 0, dropped: 0 };

  beforeAll(async () => {
    env = await createPendingTestEnv();
    tracking = await createTestDatabase();
    worldline = await startWorldlineSimulator({ credentials: [CREDENTIALS] });
    adapters = adaptersFromConfig(
      rectifierConfig({
        RECTIFY_ADAPTERS: `${GATEWAY}=worldline`,
        PROCESSOR_ACCOUNTS: JSON.stringify({ [GATEWAY]: { default: { ...CREDENTIALS, endpoint: worldline.url } } }),
        PROCESSOR_TIMEOUT_MS: '2000',
      }),
    );
  });

  afterAll(async () => {
    await worldline.close();
    await tracking.drop();
    await env.close();
  });

  /** Everything one case leaves behind, so that the next starts empty. */
  async function reset(initial: string[]): Promise<void> {
    for (const table of ['pending', 'damaged', 'payments_initial', 'pending_settled', 'rectifier_leases']) await env.database.pool.query(`DELETE FROM ${table}`);
    await tracking.pool.query('DELETE FROM contribution_tracking');
    for (const queue of Object.values(env.queues)) await env.backend.purge(queue);
    worldline.reset();
    initial.forEach((state, index) => worldline.setPayment(paymentId(index), { merchantId: CREDENTIALS.merchantId, amount: 2500, currencyCode: 'EUR', ...PROCESSOR_STATES[state]! }));
  }

  const pendingMessage = (index: number, attempt: number) => ({
    ...fixture,
    gateway: GATEWAY,
    order_id: orderId(index),
    contribution_tracking_id: String(7100 + index),
    gateway_txn_id: paymentId(index),
    currency: 'EUR',
    gross: '25.00',
    // A newer attempt of the order differs from the first (another row of the order).
    date: base + attempt,
    response: attempt === 0 ? 'redirected' : 'second attempt',
  });

  async function runCase({ resolveMode, initial, steps }: Scenario): Promise<void> {
    await reset(initial);
    const deps = { ...env.deps, trackingDb: tracking.db, adapters, retryPolicy: DEFAULT_RETRY_POLICY, logger: env.deps.logger! };
    const pendingStore = new PendingStore(env.database.db);
    const settledStore = new SettledOrdersStore(env.database.db);
    const consume = async (messageLimit: number) => {
      const counts = await consumePending(env.deps, { queue: env.queues.pending, timeLimitSeconds: 0, messageLimit, batchSize: 3, resolveMode });
      seen.dropped += counts.dropped;
    };
    const rectifyOptions = {
      gateways: [GATEWAY],
      minAgeMinutes: 30,
      limitPerGateway: 0,
      timeLimitSeconds: 30,
      resolveMode,
      donationsQueue: env.queues.donations,
      pendingQueue: env.queues.pending,
    };
    /** Orders settled by a completion (not by the rectifier), known before the step at hand began. */
    const completed = new Set<string>();
    let recorded = new Set<string>();
    const problems: string[] = [];

    const settledOrders = async () =>
      new Set((await env.rows<{ order_id: string }>('SELECT order_id FROM pending_settled')).map((row) => row.order_id));
    /** The orders pending_settled gained in the last step: completions, unless the step was the rectifier's. */
    const noteCompletions = async (byCompletion: boolean) => {
      const now = await settledOrders();
      if (byCompletion) {
        for (const id of now) {
          if (recorded.has(id)) continue;
          completed.add(id);
          seen.completions += 1;
        }
      }
      recorded = now;
    };
    const cancelsSince = (from: number) =>
      worldline.calls().slice(from).filter((call) => call.route === 'payments.cancel').map((call) => call.path.split('/').pop()!);

    const rectify = async () => {
      const callsBefore = worldline.calls().length;
      const completeAtProcessor = new Set(initial.map((_, index) => index).filter((index) => COMPLETE_CODES(worldline.payment(paymentId(index))!.statusCode)).map(paymentId));
      try {
        await rectifyOrphans(deps, rectifyOptions);
      } catch (error) {
        if (!(error instanceof RectifierStoppedError)) throw error;
      }
      seen.cancels += cancelsSince(callsBefore).length;
      for (const cancelled of cancelsSince(callsBefore)) {
        const index = Number(cancelled.slice('pay-'.length)) - 7100;
        if (completed.has(orderId(index))) problems.push(`order ${orderId(index)} was cancelled after its completion`);
        if (completeAtProcessor.has(cancelled)) problems.push(`payment ${cancelled} was cancelled while complete at the processor`);
      }
    };

    for (const step of steps) {
      switch (step.kind) {
        case 'pending':
          await env.backend.push(env.queues.pending, pendingMessage(step.order, step.attempt), { sourceType: 'payments' });
          break;
        case 'complete':
          if (step.door === 'library') {
            await settleOrder({ pending: pendingStore, settled: settledStore }, { gateway: GATEWAY, orderId: orderId(step.order) }, resolveMode);
          } else {
            await env.backend.push(env.queues.pending, { gateway: GATEWAY, order_id: orderId(step.order), pending_action: 'complete' });
          }
          break;
        case 'payments-init': {
          const outcome = step.outcome === 'review' ? { payments_final_status: 'failed', validation_action: 'review' } : { payments_final_status: step.outcome, validation_action: 'process' };
          await env.backend.push(env.queues.paymentsInit, {
            ...paymentsInitFixture,
            ...outcome,
            gateway: GATEWAY,
            order_id: orderId(step.order),
            contribution_tracking_id: String(7100 + step.order),
            gateway_txn_id: paymentId(step.order),
            date: base,
          });
          await consumePaymentsInit(env.deps, { queue: env.queues.paymentsInit, timeLimitSeconds: 0, messageLimit: 0, batchSize: 200 });
          break;
        }
        case 'processor':
          worldline.setPayment(paymentId(step.order), { merchantId: CREDENTIALS.merchantId, amount: 2500, currencyCode: 'EUR', ...PROCESSOR_STATES[step.state]! });
          break;
        case 'processor-fault':
          worldline.setFault('payments.get', { httpStatus: step.httpStatus, times: 1 });
          break;
        case 'crm-import':
          await tracking.db
            .insert(contributionTracking)
            .values({ id: 7100 + step.order, contributionId: 90_000 + step.order })
            .onDuplicateKeyUpdate({ set: { contributionId: 90_000 + step.order } });
          break;
        case 'consume':
          await consume(step.max);
          break;
        case 'crash': {
          // The consumer stores the batch and dies before its acks: the lease runs out, the batch is delivered again.
          const deliveries = await env.backend.lease(env.queues.pending, { max: step.max });
          await runBatchHandler(deliveries, pendingBatchHandler(env.deps, { resolveMode }));
          for (const delivery of deliveries) await env.backend.release(env.queues.pending, delivery.receipt);
          seen.redeliveries += deliveries.length;
          break;
        }
        case 'requeue-damaged':
          await requeueDamaged({ backend: env.backend, damagedStore: env.damagedStore, limit: 100, logger: env.deps.logger, now: new Date(Date.now() + 86_400_000) });
          break;
        case 'rectify':
          await rectify();
          break;
      }
      await noteCompletions(step.kind !== 'rectify');
    }
    // Every message delivered in the end, then the rectifier once more over what is left.
    await consume(0);
    await noteCompletions(true);
    await rectify();

    const donations = (await env.queued(env.queues.donations)).map((donation) => String(donation.order_id));
    seen.donations += donations.length;
    seen.damaged += (await env.rows('SELECT id FROM damaged')).length;
    for (const id of new Set(donations)) {
      const pushed = donations.filter((candidate) => candidate === id).length;
      if (pushed > 1) problems.push(`order ${id}: ${pushed} donations pushed`);
    }
    const settled = await settledOrders();
    const outliving = await env.rows<{ order_id: string }>('SELECT order_id FROM pending WHERE is_resolved = 0');
    for (const row of outliving) if (settled.has(row.order_id)) problems.push(`order ${row.order_id}: an unresolved pending row outlives its settlement`);
    expect(problems).toEqual([]);
  }

  it('should push each donation at most once, never cancel a completed order and leave no pending row of a settled order', async () => {
    await fc.assert(fc.asyncProperty(scenarioArbitrary, runCase), { seed: SEED, numRuns: RUNS });

    for (const [path, count] of Object.entries(seen)) expect({ path, taken: count > 0 }).toEqual({ path, taken: true });
  }, 180_000);
});
