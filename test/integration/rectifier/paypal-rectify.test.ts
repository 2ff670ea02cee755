import { DEFAULT_RETRY_POLICY } from '../../../lib/consumer/retry-policy';
import { PendingStore } from '../../../lib/pending/pending-store';
import { rectifyOrphans, RectifierStoppedError, type RectifyOptions } from '../../../lib/rectifier/orphan-rectifier';
import { PayPalNvpAdapter } from '../../../lib/rectifier/paypal-nvp-adapter';
import { PayPalOrdersAdapter } from '../../../lib/rectifier/paypal-orders-adapter';
import type { ProcessorAdapter } from '../../../lib/rectifier/processor-adapter';
import { SIMULATED_PAYER, startPayPalSimulator, type PayPalSimulator } from '../../../scripts/simulators/paypal';
import { createPendingTestEnv, type PendingTestEnv } from '../../support/pending';
import fixture from '../../../fixtures/pending-message.json';

const REST = 'paypal';
const NVP = 'paypal_ec';

describe('rectifyOrphans with the PayPal adapters', () => {
  let env: PendingTestEnv;
  let simulator: PayPalSimulator;
  let adapters: Map<string, ProcessorAdapter>;
  let store: PendingStore;
  const now = new Date();
  const minutesAgo = (minutes: number) => Math.floor(now.getTime() / 1000) - minutes * 60;

  beforeAll(async () => {
    env = await createPendingTestEnv();
    simulator = await startPayPalSimulator();
    store = new PendingStore(env.database.db);
  });

  afterAll(async () => {
    await simulator.close();
    await env.close();
  });

  beforeEach(async () => {
    for (const table of ['pending', 'damaged', 'contribution_tracking']) await env.database.pool.query(`DELETE FROM ${table}`);
    await env.backend.purge(env.queues.donations);
    simulator.reset();
    // New adapters for each test: the simulator forgot the OAuth token the last ones hold.
    const { clientId, clientSecret, nvpUser, nvpPassword, nvpSignature } = simulator.credentials;
    adapters = new Map<string, ProcessorAdapter>([
      [REST, new PayPalOrdersAdapter({ baseUrl: simulator.url, clientId, clientSecret, timeoutMs: 2000 })],
      [NVP, new PayPalNvpAdapter({ url: simulator.nvpUrl, user: nvpUser, password: nvpPassword, signature: nvpSignature, version: '204.0', timeoutMs: 2000 })],
    ]);
  });

  const options = (gateways: string[]): RectifyOptions => ({
    gateways,
    minAgeMinutes: 30,
    limitPerGateway: 0,
    timeLimitSeconds: 30,
    resolveMode: 'delete',
    donationsQueue: env.queues.donations,
    pendingQueue: env.queues.pending,
    now: () => now,
  });
  const rectify = (gateways: string[]) =>
    rectifyOrphans({ db: env.database.db, trackingDb: env.database.db, backend: env.backend, damagedStore: env.damagedStore, adapters, retryPolicy: DEFAULT_RETRY_POLICY, logger: env.deps.logger }, options(gateways));
  const orphan = (gateway: string, orderId: string, session: string, extra: Record<string, unknown> = {}) =>
    store.store({ ...fixture, gateway, order_id: orderId, contribution_tracking_id: orderId.split('.')[0], gateway_session_id: session, date: minutesAgo(60), ...extra });
  const pendingOrders = async () => (await env.rows<{ order_id: string }>('SELECT order_id FROM pending ORDER BY id')).map((row) => row.order_id);

  it('should stop when a capture reply is lost, keep the row, and push the donation once on the next run without capturing again', async () => {
    await orphan(REST, '2001.1', '8MC585209K746392H');
    simulator.setOrder('8MC585209K746392H', { status: 'APPROVED', amount: { currency_code: 'BRL', value: '25.00' }, loseCaptureReply: true });

    await expect(rectify([REST])).rejects.toThrow(RectifierStoppedError);
    expect(await pendingOrders()).toEqual(['2001.1']);
    const second = await rectify([REST]);

    expect(second.gateways[REST]!.outcomes).toEqual({ completed: 1 });
    expect(simulator.charges()).toEqual(['8MC585209K746392H']);
    const captureId = simulator.order('8MC585209K746392H')!.capture!.id;
    expect(await env.queued(env.queues.donations)).toEqual([
      expect.objectContaining({ order_id: '2001.1', gateway: REST, gateway_txn_id: captureId, gateway_status: 'COMPLETED', email: fixture.email }),
    ]);
    expect(await pendingOrders()).toEqual([]);
  });

  it('should finish an approved Express Checkout token and push its donation with the PayPal transaction id', async () => {
    await orphan(NVP, '2002.1', 'EC-2002TOKEN');
    simulator.setCheckout('EC-2002TOKEN', { payerId: SIMULATED_PAYER.payerId, amount: fixture.gross, currency: fixture.currency });

    const result = await rectify([NVP]);

    expect(result.gateways[NVP]!.outcomes).toEqual({ finished: 1 });
    const [donation] = await env.queued(env.queues.donations);
    expect(donation).toMatchObject({ order_id: '2002.1', gateway_txn_id: simulator.checkout('EC-2002TOKEN')!.transactionId, gateway_status: 'Completed' });
    expect(JSON.stringify(donation)).not.toContain(SIMULATED_PAYER.payerId);
  });

  it('should send an approved recurring donation to damaged for a person, never charged, without payer data in the error', async () => {
    await orphan(NVP, '2003.1', 'EC-2003TOKEN', { recurring: '1' });
    await orphan(REST, '2004.1', '2GG279541U471931P', { recurring: '1' });
    simulator.setCheckout('EC-2003TOKEN', { payerId: SIMULATED_PAYER.payerId, recurring: true });
    simulator.setOrder('2GG279541U471931P', { status: 'APPROVED' });

    const result = await rectify([NVP, REST]);

    expect(result.gateways[NVP]!.outcomes).toEqual({ damaged: 1 });
    expect(result.gateways[REST]!.outcomes).toEqual({ damaged: 1 });
    expect(simulator.charges()).toEqual([]);
    const damaged = await env.rows<{ order_id: string; error: string; retry_date: Date | null }>('SELECT order_id, error, retry_date FROM damaged ORDER BY id');
    expect(damaged.map((row) => [row.order_id, row.retry_date])).toEqual([
      ['2003.1', null],
      ['2004.1', null],
    ]);
    for (const row of damaged) {
      expect(row.error).toContain('PayPalNeedsPersonError');
      expect(row.error).not.toContain(SIMULATED_PAYER.payerId);
      expect(row.error).not.toContain(SIMULATED_PAYER.email);
    }
    expect(await pendingOrders()).toEqual([]);
  });

  it('should schedule a retry for a capture PayPal reports PENDING, not resolve it as nothing', async () => {
    // Young enough for a retry date: the retry age counts from source_enqueued_time.
    await orphan(REST, '2005.1', '9UV87654321012345', { source_enqueued_time: minutesAgo(60) });
    simulator.setOrder('9UV87654321012345', { status: 'COMPLETED', capture: { id: '7PN12345AB1234567', status: 'PENDING' } });

    const result = await rectify([REST]);

    expect(result.gateways[REST]!.outcomes).toEqual({ 'retry-scheduled': 1 });
    const [row] = await env.rows<{ error: string; retry_date: Date | null }>('SELECT error, retry_date FROM damaged');
    expect(row!.error).toContain('PayPalStillProcessingError');
    expect(row!.retry_date).not.toBeNull();
  });

  it('should discard orders and tokens the donor never approved without calling capture or DoExpressCheckoutPayment', async () => {
    await orphan(REST, '2006.1', '1AB23456CD7890123');
    await orphan(NVP, '2007.1', 'EC-2007TOKEN');
    simulator.setOrder('1AB23456CD7890123', { status: 'CREATED' });
    simulator.setCheckout('EC-2007TOKEN', {});

    const result = await rectify([REST, NVP]);

    expect(result.gateways[REST]!.outcomes).toEqual({ discarded: 1 });
    expect(result.gateways[NVP]!.outcomes).toEqual({ discarded: 1 });
    expect(simulator.calls().map((call) => `${call.method} ${call.path} ${(call.body as Record<string, string> | null)?.METHOD ?? ''}`.trim())).toEqual([
      'POST /v1/oauth2/token',
      'GET /v2/checkout/orders/1AB23456CD7890123',
      'POST /nvp GetExpressCheckoutDetails',
    ]);
    expect(await env.queued(env.queues.donations)).toEqual([]);
  });
});
