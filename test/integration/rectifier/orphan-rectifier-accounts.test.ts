import { DEFAULT_RETRY_POLICY } from '../../../lib/consumer/retry-policy';
import { PendingStore } from '../../../lib/pending/pending-store';
import { adaptersFromConfig, type AdapterRegistry } from '../../../lib/rectifier/adapters';
import { rectifierConfig } from '../../../lib/rectifier/config';
import { rectifyOrphans, RectifierStoppedError, type RectifyOptions } from '../../../lib/rectifier/orphan-rectifier';
import { startAdyenSimulator, type AdyenSimulator } from '../../../scripts/simulators/adyen';
import { startWorldlineSimulator, type WorldlineSimulator } from '../../../scripts/simulators/worldline';
import { createPendingTestEnv, type PendingTestEnv } from '../../support/pending';
import fixture from '../../../fixtures/pending-message.json';

const EU = { merchantId: '1234', apiKeyId: 'key-eu', secretApiKey: 'secret-eu' };
const US = { merchantId: '5678', apiKeyId: 'key-us', secretApiKey: 'secret-us' };
const ADYEN = { apiKey: 'adyen-key', merchantAccount: 'DonationsECOM' };

describe('rectifyOrphans with adapters per gateway account (Worldline and Adyen simulators)', () => {
  let env: PendingTestEnv;
  let worldline: WorldlineSimulator;
  let adyen: AdyenSimulator;
  let adapters: AdapterRegistry;
  let store: PendingStore;
  const now = new Date();
  const minutesAgo = (minutes: number) => Math.floor(now.getTime() / 1000) - minutes * 60;

  beforeAll(async () => {
    env = await createPendingTestEnv();
    worldline = await startWorldlineSimulator({ credentials: [EU, US] });
    adyen = await startAdyenSimulator({ credentials: [ADYEN] });
    const config = rectifierConfig({
      RECTIFY_ADAPTERS: 'ingenico=worldline,adyen=adyen',
      PROCESSOR_ACCOUNTS: JSON.stringify({
        ingenico: { default: { ...EU, endpoint: worldline.url }, us: { ...US, endpoint: worldline.url } },
        adyen: { default: { ...ADYEN, checkoutEndpoint: adyen.url, caCertificate: adyen.caCertificate } },
      }),
      PROCESSOR_TIMEOUT_MS: '2000',
    });
    adapters = adaptersFromConfig(config);
    store = new PendingStore(env.database.db);
  });

  afterAll(async () => {
    await worldline.close();
    await adyen.close();
    await env.close();
  });

  beforeEach(async () => {
    for (const table of ['pending', 'damaged', 'contribution_tracking']) await env.database.pool.query(`DELETE FROM ${table}`);
    await env.backend.purge(env.queues.donations);
    await env.backend.purge(env.queues.pending);
    worldline.reset();
    adyen.reset();
  });

  const options = (overrides: Partial<RectifyOptions> = {}): RectifyOptions => ({
    gateways: ['ingenico'],
    minAgeMinutes: 30,
    limitPerGateway: 0,
    timeLimitSeconds: 30,
    resolveMode: 'delete',
    donationsQueue: env.queues.donations,
    pendingQueue: env.queues.pending,
    now: () => now,
    ...overrides,
  });

  const rectify = (overrides: Partial<RectifyOptions> = {}) =>
    rectifyOrphans({ db: env.database.db, trackingDb: env.database.db, backend: env.backend, damagedStore: env.damagedStore, adapters, retryPolicy: DEFAULT_RETRY_POLICY, logger: env.deps.logger }, options(overrides));

  const orphan = (gateway: string, orderId: string, extra: Record<string, unknown> = {}) =>
    store.store({ ...fixture, gateway, order_id: orderId, contribution_tracking_id: orderId.split('.')[0], currency: 'EUR', gross: '25.00', date: minutesAgo(60), ...extra });

  it("should settle each row with its own account's credentials and leave a bank transfer untouched", async () => {
    await orphan('ingenico', '2001.1', { gateway_account: 'default', gateway_txn_id: 'pay-eu' });
    await orphan('ingenico', '2002.1', { gateway_account: 'us', gateway_txn_id: 'pay-us' });
    await orphan('ingenico', '2003.1', { gateway_account: 'us', gateway_txn_id: 'pay-bt', payment_method: 'bt', payment_submethod: 'banktransfer' });
    worldline.setPayment('pay-eu', { merchantId: '1234', status: 'PENDING_APPROVAL', statusCode: 600, amount: 2500, currencyCode: 'EUR' });
    worldline.setPayment('pay-us', { merchantId: '5678', status: 'REDIRECTED', statusCode: 50, isCancellable: true });
    worldline.setPayment('pay-bt', { merchantId: '5678', status: 'PENDING_PAYMENT', statusCode: 50, isCancellable: true });

    const result = await rectify();

    expect(worldline.calls().map((c) => `${c.caller} ${c.method} ${c.path}`)).toEqual([
      'key-eu GET /v1/1234/payments/pay-eu',
      'key-eu POST /v1/1234/payments/pay-eu/approve',
      'key-us GET /v1/5678/payments/pay-us',
      'key-us POST /v1/5678/payments/pay-us/cancel',
    ]);
    expect(result.gateways.ingenico).toMatchObject({ attempted: 2, outcomes: { approved: 1, cancelled: 1 }, stoppedBecause: 'empty' });
    expect(await env.queued(env.queues.donations)).toEqual([expect.objectContaining({ order_id: '2001.1', gateway_txn_id: 'pay-eu', gateway_status: '800' })]);
    expect(await env.rows('SELECT order_id, payment_method FROM pending')).toEqual([{ order_id: '2003.1', payment_method: 'bt' }]);
    expect(worldline.payment('pay-bt')).toMatchObject({ status: 'PENDING_PAYMENT' });
  });

  it('should send to damaged a row of an account without credentials (no request sent) and one the processor holds for review', async () => {
    await orphan('ingenico', '2004.1', { gateway_account: 'latam', gateway_txn_id: 'pay-x' });
    await orphan('ingenico', '2005.1', { gateway_account: 'default', gateway_txn_id: 'pay-525' });
    worldline.setPayment('pay-525', { status: 'PENDING_FRAUD_APPROVAL', statusCode: 525, isCancellable: true });

    const result = await rectify();

    expect(result.gateways.ingenico!.outcomes).toEqual({ damaged: 2 });
    expect(worldline.calls().map((c) => c.path)).toEqual(['/v1/1234/payments/pay-525']);
    const damaged = await env.rows<{ order_id: string; error: string }>('SELECT order_id, error FROM damaged ORDER BY order_id');
    expect(damaged.map((d) => d.order_id)).toEqual(['2004.1', '2005.1']);
    expect(damaged[0]!.error).toContain('no processor account latam is configured for gateway ingenico');
    expect(damaged[1]!.error).toContain('left for a person');
    expect(JSON.stringify(damaged.map((d) => d.error))).not.toContain(fixture.email);
  });

  it('should have up to RECTIFY_ORPHANS_CONCURRENCY orders of a gateway with the processor at once, each settled once', async () => {
    for (const n of [1, 2, 3, 4]) {
      await orphan('ingenico', `${2100 + n}.1`, { gateway_txn_id: `pay-c${n}`, date: minutesAgo(90 - n) });
      worldline.setPayment(`pay-c${n}`, { merchantId: '1234', status: 'PENDING_APPROVAL', statusCode: 600, amount: 2500, currencyCode: 'EUR' });
    }
    worldline.setFault('payments.get', { latencyMs: 50 });

    const result = await rectify({ concurrency: 2 });

    // Two orders asked together (in either order: they are in flight at once), both approved,
    // then the next two.
    const calls = worldline.calls().map((c) => `${c.route} ${c.path.split('/').pop()!.replace(/^(approve)$/, '')}`.trim());
    const rounds = [calls.slice(0, 4), calls.slice(4)].map((round) => [...round.slice(0, 2)].sort().concat(round.slice(2)));
    expect(rounds).toEqual([
      ['payments.get pay-c1', 'payments.get pay-c2', 'payments.approve', 'payments.approve'],
      ['payments.get pay-c3', 'payments.get pay-c4', 'payments.approve', 'payments.approve'],
    ]);
    expect(result.gateways.ingenico).toMatchObject({ attempted: 4, rowsResolved: 4, outcomes: { approved: 4 }, stoppedBecause: 'empty' });
    expect((await env.queued(env.queues.donations)).map((d) => d.order_id).sort()).toEqual(['2101.1', '2102.1', '2103.1', '2104.1']);
  });

  it('should stop the run and keep the row when the processor is down', async () => {
    await orphan('ingenico', '2006.1', { gateway_txn_id: 'pay-down' });
    worldline.setFault('payments.get', { httpStatus: 503 });

    await expect(rectify()).rejects.toThrow(RectifierStoppedError);

    expect(await env.rows('SELECT order_id FROM pending')).toEqual([{ order_id: '2006.1' }]);
  });

  it('should capture an authorised Adyen orphan found by its redirectResult and cancel an unknown one by reference', async () => {
    await orphan('adyen', '3001.1', { redirect_result: 'redirect-3001' });
    await orphan('adyen', '3002.1', { date: minutesAgo(50) });
    adyen.setPayment('PSP3001', { resultCode: 'Authorised', amount: { currency: 'EUR', value: 2500 } });
    adyen.setRedirect('redirect-3001', 'PSP3001');

    const result = await rectify({ gateways: ['adyen'] });

    expect(adyen.calls().map((c) => `${c.method} ${c.path}`)).toEqual(['POST /v72/payments/details', 'POST /v72/payments/PSP3001/captures', 'POST /v72/cancels']);
    expect(result.gateways.adyen!.outcomes).toEqual({ finished: 1, cancelled: 1 });
    expect(await env.queued(env.queues.donations)).toEqual([expect.objectContaining({ order_id: '3001.1', gateway_txn_id: 'PSP3001' })]);
    expect(adyen.cancelledReferences()).toEqual(['3002.1']);
  });
});
