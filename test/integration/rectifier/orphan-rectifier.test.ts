import { requeueDamaged } from '../../../lib/consumer/requeue-damaged';
import { consumePending } from '../../../lib/pending/consume-pending';
import { DEFAULT_RETRY_POLICY } from '../../../lib/consumer/retry-policy';
import { contributionTracking } from '../../../lib/db/schema';
import { PaymentsInitialStore } from '../../../lib/pending/payments-initial-store';
import { SettledOrdersStore } from '../../../lib/pending/settled-orders-store';
import { GatewayLeases } from '../../../lib/rectifier/gateway-lease';
import { PendingStore } from '../../../lib/pending/pending-store';
import { ExpressCheckoutAdapter } from '../../../lib/rectifier/express-checkout-adapter';
import { HostedPaymentAdapter } from '../../../lib/rectifier/hosted-payment-adapter';
import { rectifyOrphans, RectifierStoppedError, type RectifyOptions } from '../../../lib/rectifier/orphan-rectifier';
import type { ProcessorAdapter } from '../../../lib/rectifier/processor-adapter';
import { startProcessorSimulator, type ProcessorSimulator } from '../../../scripts/processor-simulator';
import { createPendingTestEnv, type PendingTestEnv } from '../../support/pending';
import { createTestDatabase } from '../../support/database';
import fixture from '../../../fixtures/pending-message.json';

const HOSTED = 'ingenico';
const EXPRESS = 'paypal_ec';

describe('rectifyOrphans', () => {
  let env: PendingTestEnv;
  let simulator: ProcessorSimulator;
  let adapters: Map<string, ProcessorAdapter>;
  let store: PendingStore;
  const now = new Date();
  const minutesAgo = (minutes: number) => Math.floor(now.getTime() / 1000) - minutes * 60;

  beforeAll(async () => {
    env = await createPendingTestEnv();
    simulator = await startProcessorSimulator();
    adapters = new Map<string, ProcessorAdapter>([
      [HOSTED, new HostedPaymentAdapter({ baseUrl: simulator.hostedPaymentUrl, timeoutMs: 2000 })],
      [EXPRESS, new ExpressCheckoutAdapter({ baseUrl: simulator.expressCheckoutUrl, timeoutMs: 2000 })],
    ]);
    store = new PendingStore(env.database.db);
  });

  afterAll(async () => {
    await simulator.close();
    await env.close();
  });

  beforeEach(async () => {
    for (const table of ['pending', 'damaged', 'contribution_tracking', 'payments_initial', 'pending_settled', 'rectifier_leases']) await env.database.pool.query(`DELETE FROM ${table}`);
    await env.backend.purge(env.queues.donations);
    await env.backend.purge(env.queues.pending);
    simulator.reset();
  });

  function options(overrides: Partial<RectifyOptions> = {}): RectifyOptions {
    return {
      gateways: [HOSTED],
      minAgeMinutes: 30,
      limitPerGateway: 0,
      timeLimitSeconds: 30,
      resolveMode: 'delete',
      donationsQueue: env.queues.donations,
      pendingQueue: env.queues.pending,
      now: () => now,
      ...overrides,
    };
  }

  const rectify = (overrides: Partial<RectifyOptions> = {}) =>
    rectifyOrphans({ db: env.database.db, trackingDb: env.database.db, backend: env.backend, damagedStore: env.damagedStore, adapters, retryPolicy: DEFAULT_RETRY_POLICY, logger: env.deps.logger }, options(overrides));

  /** A pending row of the hosted-payment gateway, `minutes` old. */
  const orphan = (orderId: string, minutes = 60, extra: Record<string, unknown> = {}) =>
    store.store({ ...fixture, gateway: HOSTED, order_id: orderId, contribution_tracking_id: orderId.split('.')[0], date: minutesAgo(minutes), ...extra });

  const pendingOrders = async () => (await env.rows<{ order_id: string }>('SELECT order_id FROM pending ORDER BY id')).map((row) => row.order_id);

  it('should cancel an orphan in status 25 (pending, failed in orphan mode) and delete its row', async () => {
    await orphan('1001.1');
    simulator.setOrder('1001.1', { statusCode: 25 });

    const result = await rectify();

    expect(simulator.calls()).toEqual([
      { method: 'GET', path: '/hosted-payment/orders/1001.1', body: null },
      { method: 'POST', path: '/hosted-payment/orders/1001.1/cancel', body: {} },
    ]);
    expect(result.gateways[HOSTED]).toMatchObject({ attempted: 1, outcomes: { cancelled: 1 }, stoppedBecause: 'empty' });
    expect(await pendingOrders()).toEqual([]);
    expect(await env.queued(env.queues.donations)).toEqual([]);
  });

  it('should approve an orphan in status 600 and push its donation with the pending row merged in', async () => {
    await orphan('1002.1');
    simulator.setOrder('1002.1', { statusCode: 600, gatewayTxnId: 'GC-600' });

    await rectify();

    expect(simulator.calls()).toEqual([
      { method: 'GET', path: '/hosted-payment/orders/1002.1', body: null },
      { method: 'POST', path: '/hosted-payment/orders/1002.1/approve', body: { amount: fixture.gross, currency: fixture.currency } },
    ]);
    const donations = await env.queued(env.queues.donations);
    expect(donations).toHaveLength(1);
    expect(donations[0]).toMatchObject({
      ...fixture,
      gateway: HOSTED,
      order_id: '1002.1',
      contribution_tracking_id: '1002',
      date: minutesAgo(60),
      gateway_txn_id: 'GC-600',
      gateway_status: '800',
      source_type: 'payments',
    });
    expect(donations[0]).not.toHaveProperty('pending_id');
    expect(await pendingOrders()).toEqual([]);
  });

  it('should push an orphan in status 800 as complete without a second capture', async () => {
    await orphan('1003.1');
    simulator.setOrder('1003.1', { statusCode: 800, gatewayTxnId: 'GC-800' });

    await rectify();

    expect(simulator.calls()).toEqual([{ method: 'GET', path: '/hosted-payment/orders/1003.1', body: null }]);
    expect(await env.queued(env.queues.donations)).toEqual([expect.objectContaining({ order_id: '1003.1', gateway_txn_id: 'GC-800', email: fixture.email })]);
    expect(await pendingOrders()).toEqual([]);
  });

  it('should finish an orphan in status 200, then push it', async () => {
    await orphan('1004.1');
    simulator.setOrder('1004.1', { statusCode: 200 });

    await rectify();

    expect(simulator.calls().map((call) => `${call.method} ${call.path}`)).toEqual([
      'GET /hosted-payment/orders/1004.1',
      'POST /hosted-payment/orders/1004.1/finish',
    ]);
    expect(await env.queued(env.queues.donations)).toHaveLength(1);
  });

  it('should ask the processor once and push one donation for an order of several rows, then delete every row of it', async () => {
    await orphan('1020.1', 90);
    await orphan('1020.1', 70, { response: 'second attempt', gateway_session_id: 'newest' });
    await orphan('1021.1', 60);
    simulator.setOrder('1020.1', { statusCode: 600, gatewayTxnId: 'GC-1020' });
    simulator.setOrder('1021.1', { statusCode: 1800 });

    const result = await rectify();

    expect(simulator.calls().map((call) => `${call.method} ${call.path}`)).toEqual([
      'GET /hosted-payment/orders/1020.1',
      'POST /hosted-payment/orders/1020.1/approve',
      'GET /hosted-payment/orders/1021.1',
    ]);
    const donations = await env.queued(env.queues.donations);
    expect(donations).toEqual([expect.objectContaining({ order_id: '1020.1', gateway_session_id: 'newest', gateway_txn_id: 'GC-1020' })]);
    expect(result.gateways[HOSTED]).toMatchObject({ attempted: 2, rowsResolved: 3, outcomes: { approved: 1, refunded: 1 } });
    expect(await pendingOrders()).toEqual([]);
  });

  it('should cancel an imported order once and mark every row of it resolved in mark-resolved mode', async () => {
    await orphan('1022.1', 90);
    await orphan('1022.1', 80, { response: 'second attempt' });
    await env.database.db.insert(contributionTracking).values({ id: 1022, contributionId: 777 });
    simulator.setOrder('1022.1', { statusCode: 800 });

    const result = await rectify({ resolveMode: 'mark-resolved' });

    expect(simulator.calls()).toEqual([{ method: 'POST', path: '/hosted-payment/orders/1022.1/cancel', body: {} }]);
    expect(result.gateways[HOSTED]).toMatchObject({ attempted: 1, rowsResolved: 2, outcomes: { 'already-imported': 1 } });
    expect(await env.rows('SELECT is_resolved FROM pending')).toEqual([{ is_resolved: 1 }, { is_resolved: 1 }]);
  });

  it('should leave a row younger than the age untouched and stop the run there', async () => {
    await orphan('1005.1', 45);
    await orphan('1006.1', 10);
    simulator.setOrder('1005.1', { statusCode: 25 });
    simulator.setOrder('1006.1', { statusCode: 800 });

    const result = await rectify();

    expect(result.gateways[HOSTED]).toMatchObject({ attempted: 1, stoppedBecause: 'younger-row' });
    expect(simulator.calls().map((call) => call.path)).toEqual(['/hosted-payment/orders/1005.1', '/hosted-payment/orders/1005.1/cancel']);
    expect(await pendingOrders()).toEqual(['1006.1']);
  });

  it('should cancel without asking the status when the contribution was already imported', async () => {
    await orphan('1007.1');
    await env.database.db.insert(contributionTracking).values({ id: 1007, contributionId: 555 });
    simulator.setOrder('1007.1', { statusCode: 800 });

    const result = await rectify();

    expect(simulator.calls()).toEqual([{ method: 'POST', path: '/hosted-payment/orders/1007.1/cancel', body: {} }]);
    expect(result.gateways[HOSTED]!.outcomes).toEqual({ 'already-imported': 1 });
    expect(await env.queued(env.queues.donations)).toEqual([]);
    expect(await pendingOrders()).toEqual([]);
  });

  it('should read whether a contribution was imported in the tracking database when it is not the pending one', async () => {
    const trackingDatabase = await createTestDatabase();
    try {
      await orphan('1040.1');
      await trackingDatabase.db.insert(contributionTracking).values({ id: 1040, contributionId: 4040 });
      simulator.setOrder('1040.1', { statusCode: 800 });

      const result = await rectifyOrphans(
        { db: env.database.db, trackingDb: trackingDatabase.db, backend: env.backend, damagedStore: env.damagedStore, adapters, retryPolicy: DEFAULT_RETRY_POLICY, logger: env.deps.logger },
        options(),
      );

      expect(simulator.calls()).toEqual([{ method: 'POST', path: '/hosted-payment/orders/1040.1/cancel', body: {} }]);
      expect(result.gateways[HOSTED]!.outcomes).toEqual({ 'already-imported': 1 });
      expect(await env.queued(env.queues.donations)).toEqual([]);
    } finally {
      await trackingDatabase.drop();
    }
  });

  it('should drop a late redelivery of a pending message of an order it settled, so the donation is pushed once', async () => {
    const message = { ...fixture, gateway: HOSTED, order_id: '1041.1', contribution_tracking_id: '1041', date: minutesAgo(60) };
    await store.store(message);
    simulator.setOrder('1041.1', { statusCode: 600, gatewayTxnId: 'GC-1041' });
    await rectify();
    simulator.setOrder('1041.1', { statusCode: 800, gatewayTxnId: 'GC-1041' });

    // The same message delivered again (a consumer that stored it died before its ack), then the next run.
    await env.backend.push(env.queues.pending, message, { sourceType: 'payments' });
    await consumePending(env.deps, { queue: env.queues.pending, timeLimitSeconds: 10, messageLimit: 0, batchSize: 10, resolveMode: 'delete' });
    await rectify();

    expect(await env.queued(env.queues.donations)).toEqual([expect.objectContaining({ order_id: '1041.1', gateway_txn_id: 'GC-1041' })]);
    expect(await pendingOrders()).toEqual([]);
    expect(await env.rows('SELECT order_id FROM pending_settled')).toEqual([{ order_id: '1041.1' }]);
  });

  it('should not treat a tracked contribution without contribution id as imported', async () => {
    await orphan('1008.1');
    await env.database.db.insert(contributionTracking).values({ id: 1008 });
    simulator.setOrder('1008.1', { statusCode: 800 });

    await rectify();

    expect(simulator.calls().map((call) => call.path)).toEqual(['/hosted-payment/orders/1008.1']);
  });

  it('should send the row to damaged for a person and delete it when the processor refuses it, then go on', async () => {
    await orphan('1009.1', 90);
    await orphan('1010.1', 60);
    simulator.setOrder('1009.1', { error: { httpStatus: 422, message: 'order cannot be read' } });
    simulator.setOrder('1010.1', { statusCode: 800 });

    const result = await rectify();

    expect(simulator.calls().map((call) => `${call.method} ${call.path}`)).toEqual([
      'GET /hosted-payment/orders/1009.1',
      'GET /hosted-payment/orders/1010.1',
    ]);
    expect(result.gateways[HOSTED]!.outcomes).toEqual({ damaged: 1, completed: 1 });
    const damaged = await env.rows<{ original_queue: string; order_id: string; error: string; message: string; retry_date: Date | null }>(
      'SELECT original_queue, order_id, error, message, retry_date FROM damaged',
    );
    expect(damaged).toHaveLength(1);
    expect(damaged[0]).toMatchObject({ original_queue: env.queues.pending, order_id: '1009.1', retry_date: null });
    expect(damaged[0]!.error).toContain('ProcessorResponseError');
    expect(damaged[0]!.error).toContain('HTTP 422');
    expect(JSON.parse(damaged[0]!.message)).toMatchObject({ order_id: '1009.1', email: fixture.email });
    expect(await pendingOrders()).toEqual([]);
  });

  it('should schedule a retry when the processor fails the request with HTTP 500, and requeue the row to the pending queue when it is due', async () => {
    await orphan('1013.1', 45, { source_enqueued_time: minutesAgo(45) });
    simulator.setOrder('1013.1', { error: { httpStatus: 500, message: 'internal processing error' } });

    const result = await rectify();
    const [row] = await env.rows<{ order_id: string; error: string; retry_date: Date | null }>('SELECT order_id, error, retry_date FROM damaged');
    const requeued = await requeueDamaged({ backend: env.backend, damagedStore: env.damagedStore, limit: 10, now: new Date(row!.retry_date!.getTime() + 1000) });
    const [delivery] = await env.backend.lease(env.queues.pending);

    expect(result.gateways[HOSTED]!.outcomes).toEqual({ 'retry-scheduled': 1 });
    expect(row!.error).toContain('ProcessorTemporaryError');
    expect(row!.retry_date!.getTime()).toBe(now.getTime() - (now.getTime() % 1000) + DEFAULT_RETRY_POLICY.requeueDelaySeconds * 1000);
    expect(requeued.byQueue).toEqual({ [env.queues.pending]: 1 });
    expect(JSON.parse(delivery!.body)).toMatchObject({ order_id: '1013.1', gateway: HOSTED });
    expect(await pendingOrders()).toEqual([]);
  });

  it('should bring a row back as unresolved when its retry is requeued in mark-resolved mode, and push its donation without bookkeeping', async () => {
    await orphan('1016.1', 45, { source_enqueued_time: minutesAgo(45) });
    simulator.setOrder('1016.1', { error: { httpStatus: 500, message: 'internal processing error' } });
    await rectify({ resolveMode: 'mark-resolved' });
    const [row] = await env.rows<{ retry_date: Date }>('SELECT retry_date FROM damaged');
    await requeueDamaged({ backend: env.backend, damagedStore: env.damagedStore, limit: 10, now: new Date(row!.retry_date.getTime() + 1000) });

    await consumePending(env.deps, { queue: env.queues.pending, timeLimitSeconds: 10, messageLimit: 0, batchSize: 10, resolveMode: 'mark-resolved' });
    simulator.setOrder('1016.1', { statusCode: 800, gatewayTxnId: 'GC-1016' });
    const second = await rectify({ resolveMode: 'mark-resolved' });

    expect(second.gateways[HOSTED]).toMatchObject({ attempted: 1, outcomes: { completed: 1 } });
    const donations = await env.queued(env.queues.donations);
    expect(donations).toEqual([expect.objectContaining({ order_id: '1016.1', gateway_txn_id: 'GC-1016' })]);
    expect(donations[0]).not.toHaveProperty('pending_requeued_from');
  });

  it('should send an unknown status code to damaged', async () => {
    await orphan('1011.1');
    simulator.setOrder('1011.1', { statusCode: 333 });

    await rectify();

    const [damaged] = await env.rows<{ error: string }>('SELECT error FROM damaged');
    expect(damaged!.error).toContain('unknown hosted-payment status code 333');
    expect(await pendingOrders()).toEqual([]);
  });

  it('should keep the row and fail the run with a clear message when the processor is down', async () => {
    const gone = await startProcessorSimulator();
    await gone.close();
    const downAdapters = new Map<string, ProcessorAdapter>([[HOSTED, new HostedPaymentAdapter({ baseUrl: gone.hostedPaymentUrl, timeoutMs: 2000 })]]);
    const id = await orphan('1012.1');

    const run = rectifyOrphans({ db: env.database.db, trackingDb: env.database.db, backend: env.backend, damagedStore: env.damagedStore, adapters: downAdapters, retryPolicy: DEFAULT_RETRY_POLICY, logger: env.deps.logger }, options());

    await expect(run).rejects.toThrow(RectifierStoppedError);
    await expect(run).rejects.toThrow(
      new RegExp(`rectify-orphans stopped at gateway ${HOSTED}: payment processor at ${gone.hostedPaymentUrl} is unreachable: .*ECONNREFUSED.*; pending row ${id} stays for the next run`),
    );
    expect(await pendingOrders()).toEqual(['1012.1']);
    expect(await env.rows('SELECT id FROM damaged')).toEqual([]);
  });

  describe('rules', () => {
    const paymentsInit = (orderId: string, validationAction: string) =>
      new PaymentsInitialStore(env.database.db).upsert({ gateway: HOSTED, order_id: orderId, date: minutesAgo(90), validation_action: validationAction, payments_final_status: 'pending' });

    it('should neither approve nor capture an order whose payments-init said review, and leave it in damaged for people', async () => {
      await orphan('3001.1');
      await orphan('3002.1');
      await paymentsInit('3001.1', 'review');
      await paymentsInit('3002.1', 'review');
      await paymentsInit('3003.1', 'process');
      await orphan('3003.1');
      simulator.setOrder('3001.1', { statusCode: 600 });
      simulator.setOrder('3002.1', { statusCode: 200 });
      simulator.setOrder('3003.1', { statusCode: 600 });

      const result = await rectify();

      expect(simulator.calls().map((call) => `${call.method} ${call.path}`)).toEqual([
        'GET /hosted-payment/orders/3001.1',
        'GET /hosted-payment/orders/3002.1',
        'GET /hosted-payment/orders/3003.1',
        'POST /hosted-payment/orders/3003.1/approve',
      ]);
      expect(result.gateways[HOSTED]!.outcomes).toEqual({ 'held-for-review': 2, approved: 1 });
      expect(await env.queued(env.queues.donations)).toEqual([expect.objectContaining({ order_id: '3003.1' })]);
      const damaged = await env.rows<{ order_id: string; error: string; retry_date: Date | null }>('SELECT order_id, error, retry_date FROM damaged ORDER BY id');
      expect(damaged.map((row) => [row.order_id, row.retry_date])).toEqual([['3001.1', null], ['3002.1', null]]);
      expect(damaged[0]!.error).toContain('HeldForReviewError');
      expect(damaged[0]!.error).toContain('validation_action is review');
    });

    it('should stop only the gateway whose processor is down, settle the next gateway, and then fail the run with the summary', async () => {
      const gone = await startProcessorSimulator();
      await gone.close();
      const mixed = new Map<string, ProcessorAdapter>([
        [HOSTED, new HostedPaymentAdapter({ baseUrl: gone.hostedPaymentUrl, timeoutMs: 2000 })],
        [EXPRESS, adapters.get(EXPRESS)!],
      ]);
      const id = await orphan('3010.1');
      await store.store({ ...fixture, gateway: EXPRESS, order_id: '3011.1', gateway_session_id: 'EC-3011', date: minutesAgo(60) });
      simulator.setCheckout('EC-3011', { checkoutStatus: 'PaymentActionCompleted', gatewayTxnId: 'PP-3011' });

      const run = rectifyOrphans(
        { db: env.database.db, trackingDb: env.database.db, backend: env.backend, damagedStore: env.damagedStore, adapters: mixed, retryPolicy: DEFAULT_RETRY_POLICY, logger: env.deps.logger },
        options({ gateways: [HOSTED, EXPRESS] }),
      );
      const error = (await run.catch((caught: unknown) => caught)) as RectifierStoppedError;

      expect(error).toBeInstanceOf(RectifierStoppedError);
      expect(error.message).toMatch(new RegExp(`^rectify-orphans stopped at gateway ${HOSTED}: payment processor at .* is unreachable: .*; pending row ${id} stays for the next run$`));
      expect(error.result!.gateways[HOSTED]).toMatchObject({ attempted: 0, stoppedBecause: 'processor-unavailable' });
      expect(error.result!.gateways[EXPRESS]).toMatchObject({ attempted: 1, outcomes: { completed: 1 }, stoppedBecause: 'empty' });
      expect(error.result!.stoppedGateways).toEqual([{ gateway: HOSTED, reason: error.message }]);
      expect(await env.queued(env.queues.donations)).toEqual([expect.objectContaining({ order_id: '3011.1' })]);
      expect(await pendingOrders()).toEqual(['3010.1']);
    });

    it('should resolve the rows of an order settled after they were stored without calling the processor', async () => {
      await orphan('3030.1');
      await new SettledOrdersStore(env.database.db).record(HOSTED, '3030.1');
      simulator.setOrder('3030.1', { statusCode: 800 });

      const result = await rectify();

      expect(simulator.calls()).toEqual([]);
      expect(result.gateways[HOSTED]).toMatchObject({ attempted: 1, rowsResolved: 1, outcomes: { settled: 1 } });
      expect(await env.queued(env.queues.donations)).toEqual([]);
      expect(await pendingOrders()).toEqual([]);
    });

    it('should skip a gateway another run holds, so two runs never settle one order twice, and take it once the lease expired', async () => {
      await orphan('3040.1');
      simulator.setOrder('3040.1', { statusCode: 600 });
      const other = new GatewayLeases(env.database.db);
      await other.take(HOSTED, now, new Date(now.getTime() + 60_000));

      const whileHeld = await rectify();
      const afterExpiry = await rectify({ now: () => new Date(now.getTime() + 61_000) });

      expect(whileHeld.gateways[HOSTED]).toMatchObject({ attempted: 0, stoppedBecause: 'held-elsewhere' });
      expect(afterExpiry.gateways[HOSTED]).toMatchObject({ attempted: 1, outcomes: { approved: 1 } });
      expect(simulator.calls().map((call) => call.method)).toEqual(['GET', 'POST']);
      expect(await env.rows('SELECT gateway FROM rectifier_leases')).toEqual([]);
    });

    it('should let concurrent runs of one gateway approve each order once and push one donation', async () => {
      for (const order of ['3050.1', '3051.1', '3052.1']) {
        await orphan(order);
        simulator.setOrder(order, { statusCode: 600 });
      }

      await Promise.all([rectify(), rectify(), rectify()]);

      expect(simulator.calls().filter((call) => call.method === 'POST')).toHaveLength(3);
      expect((await env.queued(env.queues.donations)).map((donation) => donation.order_id).sort()).toEqual(['3050.1', '3051.1', '3052.1']);
    });

    it('should count what the processor said per status in the gateway summary', async () => {
      const codes: Record<string, number> = { '3020.1': 25, '3021.1': 800, '3022.1': 800, '3023.1': 1800 };
      for (const [order, statusCode] of Object.entries(codes)) {
        await orphan(order);
        simulator.setOrder(order, { statusCode });
      }

      const result = await rectify();

      expect(result.gateways[HOSTED]!.processorStatuses).toEqual({ failed: 1, complete: 2, refunded: 1 });
      expect(result.stoppedGateways).toEqual([]);
    });
  });

  it('should stop at the row limit', async () => {
    for (const order of ['1013.1', '1014.1']) {
      await orphan(order);
      simulator.setOrder(order, { statusCode: 1800 });
    }

    const result = await rectify({ limitPerGateway: 1 });

    expect(result.gateways[HOSTED]).toMatchObject({ attempted: 1, outcomes: { refunded: 1 }, stoppedBecause: 'row-limit' });
    expect(await pendingOrders()).toHaveLength(1);
  });

  it('should mark rows resolved instead of deleting them when so configured, and skip them next time', async () => {
    await orphan('1015.1');
    simulator.setOrder('1015.1', { statusCode: 25 });

    await rectify({ resolveMode: 'mark-resolved' });
    simulator.reset();
    const second = await rectify({ resolveMode: 'mark-resolved' });

    expect(await env.rows('SELECT order_id, is_resolved FROM pending')).toEqual([{ order_id: '1015.1', is_resolved: 1 }]);
    expect(second.gateways[HOSTED]!.attempted).toBe(0);
    expect(simulator.calls()).toEqual([]);
  });

  describe('with the express-checkout adapter', () => {
    const checkoutOrphan = (orderId: string, token: string) =>
      store.store({ ...fixture, gateway: EXPRESS, order_id: orderId, contribution_tracking_id: orderId.split('.')[0], gateway_session_id: token, date: minutesAgo(60) });

    it('should discard quietly a checkout never initiated or whose token expired', async () => {
      await checkoutOrphan('2001.1', 'EC-NEVER');
      await checkoutOrphan('2002.1', 'EC-EXPIRED');
      simulator.setCheckout('EC-NEVER', { checkoutStatus: 'PaymentActionNotInitiated' });
      simulator.setCheckout('EC-EXPIRED', { expired: true });

      const result = await rectify({ gateways: [EXPRESS] });

      expect(simulator.calls().map((call) => `${call.method} ${call.path}`)).toEqual([
        'GET /express-checkout/checkouts/EC-NEVER',
        'GET /express-checkout/checkouts/EC-EXPIRED',
      ]);
      expect(result.gateways[EXPRESS]!.outcomes).toEqual({ discarded: 2 });
      expect(await env.queued(env.queues.donations)).toEqual([]);
      expect(await pendingOrders()).toEqual([]);
    });

    it('should push an already completed checkout without paying again', async () => {
      await checkoutOrphan('2003.1', 'EC-DONE');
      simulator.setCheckout('EC-DONE', { checkoutStatus: 'PaymentActionCompleted', gatewayTxnId: 'PP-1' });

      await rectify({ gateways: [EXPRESS] });

      expect(simulator.calls().map((call) => call.method)).toEqual(['GET']);
      expect(await env.queued(env.queues.donations)).toEqual([expect.objectContaining({ order_id: '2003.1', gateway_txn_id: 'PP-1' })]);
    });

    it('should complete the payment of an approved checkout, then push it', async () => {
      await checkoutOrphan('2004.1', 'EC-APPROVED');
      simulator.setCheckout('EC-APPROVED', { checkoutStatus: 'PaymentActionInProgress' });

      await rectify({ gateways: [EXPRESS] });

      expect(simulator.calls()).toEqual([
        { method: 'GET', path: '/express-checkout/checkouts/EC-APPROVED', body: null },
        { method: 'POST', path: '/express-checkout/checkouts/EC-APPROVED/pay', body: { order_id: '2004.1', amount: fixture.gross, currency: fixture.currency } },
      ]);
      const [donation] = await env.queued(env.queues.donations);
      expect(donation).toMatchObject({ order_id: '2004.1', gateway: EXPRESS, gateway_txn_id: expect.stringMatching(/^SIM-/) });
    });

    it('should send a row without a token to damaged without calling the processor', async () => {
      await store.store({ ...fixture, gateway: EXPRESS, order_id: '2005.1', date: minutesAgo(60) });

      await rectify({ gateways: [EXPRESS] });

      expect(simulator.calls()).toEqual([]);
      const [damaged] = await env.rows<{ error: string }>('SELECT error FROM damaged');
      expect(damaged!.error).toContain('gateway_session_id');
      expect(await pendingOrders()).toEqual([]);
    });
  });
});
