import { AdyenAdapter, type AdyenAdapterOptions } from '../../../lib/rectifier/adyen-adapter';
import { PaymentAmountMismatchError, PaymentNeedsReviewError, ProcessorResponseError, type OrphanPayment } from '../../../lib/rectifier/processor-adapter';
import { ProcessorTemporaryError, ProcessorUnavailableError } from '../../../lib/rectifier/processor-http';
import { startAdyenSimulator, type AdyenSimulator } from '../../../scripts/simulators/adyen';
import fixture from '../../../fixtures/pending-message.json';

const MAIN = { apiKey: 'adyen-key-main', merchantAccount: 'DonationsECOM' };
const OTHER = { apiKey: 'adyen-key-other', merchantAccount: 'DonationsRecurring' };

describe('AdyenAdapter against the Adyen Checkout simulator, through @adyen/api-library', () => {
  let simulator: AdyenSimulator;
  let adapter: AdyenAdapter;
  const options = (overrides: Partial<AdyenAdapterOptions> = {}): AdyenAdapterOptions => ({
    ...MAIN,
    environment: 'TEST',
    checkoutEndpoint: simulator.url,
    caCertificate: simulator.caCertificate,
    capture: 'manual',
    paymentMethods: ['cc'],
    timeoutMs: 1000,
    ...overrides,
  });

  beforeAll(async () => {
    simulator = await startAdyenSimulator({ credentials: [MAIN, OTHER] });
    adapter = new AdyenAdapter(options());
  });

  afterAll(async () => {
    await simulator.close();
  });

  beforeEach(() => simulator.reset());

  const orphan = (extra: Partial<OrphanPayment> = {}, message: Record<string, unknown> = {}): OrphanPayment => ({
    gateway: 'adyen',
    orderId: '48213377.1',
    gatewayTxnId: null,
    message: { ...fixture, gateway: 'adyen', gross: '25.00', currency: 'EUR', ...message },
    ...extra,
  });

  it('should ask /payments/details with the stored redirectResult, then capture the authorised payment in minor units', async () => {
    simulator.setPayment('PSP0001', { resultCode: 'Authorised', merchantReference: '48213377.1', amount: { currency: 'EUR', value: 2500 } });
    simulator.setRedirect('redirect-abc', 'PSP0001');

    const status = await adapter.getStatus(orphan({}, { redirect_result: 'redirect-abc' }));
    const completion = await adapter.finish(orphan({}, { redirect_result: 'redirect-abc' }), status);

    expect(status).toEqual({ status: 'needs-finishing', gatewayStatus: 'Authorised', gatewayTxnId: 'PSP0001', cancellable: true });
    expect(completion).toEqual({ gatewayTxnId: 'PSP0001', gatewayStatus: 'Authorised, capture received' });
    expect(simulator.calls()).toEqual([
      { route: 'payments.details', method: 'POST', path: '/v72/payments/details', caller: 'DonationsECOM', authenticated: true, body: { details: { redirectResult: 'redirect-abc' } } },
      {
        route: 'payments.captures',
        method: 'POST',
        path: '/v72/payments/PSP0001/captures',
        caller: 'DonationsECOM',
        authenticated: true,
        idempotencyKey: 'rectify-capture-PSP0001',
        body: { merchantAccount: 'DonationsECOM', amount: { currency: 'EUR', value: 2500 }, reference: 'rectify-48213377.1' },
      },
    ]);
    expect(simulator.payment('PSP0001')).toMatchObject({ captured: true });
  });

  it.each([
    // Adyen's decimals where they differ from ISO 4217 (CLP, ISK: 2; IDR, CVE: 0), and a few that agree.
    ['5000', 'CLP', 500000],
    ['2790', 'ISK', 279000],
    ['150000', 'IDR', 150000],
    ['1000.00', 'CVE', 1000],
    ['1000', 'JPY', 1000],
    ['1.250', 'KWD', 1250],
  ])('should capture the whole authorisation of a %s %s orphan, in Adyen\'s minor units (%i)', async (gross, currency, value) => {
    simulator.setPayment('PSP0100', { resultCode: 'Authorised', amount: { currency, value } });
    simulator.setRedirect('redirect-currency', 'PSP0100');
    const row = orphan({}, { redirect_result: 'redirect-currency', gross, currency });

    const status = await adapter.getStatus(row);
    await adapter.finish(row, status);

    expect(simulator.calls().find((c) => c.route === 'payments.captures')?.body).toMatchObject({ amount: { currency, value } });
    expect(simulator.payment('PSP0100')).toMatchObject({ captured: true, capturedValue: value });
  });

  it('should capture nothing when Adyen reports another authorised amount than the row\'s', async () => {
    simulator.setPayment('PSP0101', { resultCode: 'Authorised', amount: { currency: 'EUR', value: 3000 } });
    simulator.setRedirect('redirect-other-amount', 'PSP0101');
    const row = orphan({}, { redirect_result: 'redirect-other-amount' });

    const status = await adapter.getStatus(row);
    const capture = adapter.finish(row, status);

    await expect(capture).rejects.toThrow(PaymentAmountMismatchError);
    await expect(capture).rejects.toThrow('Adyen payment PSP0101 is authorised for another amount or currency than the pending row\'s: not captured');
    expect(simulator.calls().map((c) => c.route)).toEqual(['payments.details']);
    expect(simulator.payment('PSP0101')).not.toHaveProperty('captured');
  });

  it('should take an authorised payment as complete on an account with automatic capture', async () => {
    simulator.setPayment('PSP0002', { resultCode: 'Authorised' });
    simulator.setRedirect('redirect-auto', 'PSP0002');
    const automatic = new AdyenAdapter(options({ capture: 'automatic' }));

    expect(await automatic.getStatus(orphan({}, { redirect_result: 'redirect-auto' }))).toMatchObject({ status: 'complete', gatewayTxnId: 'PSP0002' });
  });

  it('should use the result code the /payments call answered when the row has a pspReference and no redirectResult', async () => {
    simulator.setPayment('PSP0003', { resultCode: 'RedirectShopper' });
    const status = await adapter.getStatus(orphan({ gatewayTxnId: 'PSP0003' }, { gateway_status: 'RedirectShopper' }));
    await adapter.cancel(orphan({ gatewayTxnId: 'PSP0003' }), status);

    expect(status).toEqual({ status: 'failed', gatewayStatus: 'RedirectShopper', gatewayTxnId: 'PSP0003', cancellable: true });
    expect(simulator.calls()).toEqual([
      {
        route: 'payments.cancels',
        method: 'POST',
        path: '/v72/payments/PSP0003/cancels',
        caller: 'DonationsECOM',
        authenticated: true,
        idempotencyKey: 'rectify-cancel-PSP0003',
        body: { merchantAccount: 'DonationsECOM', reference: 'rectify-48213377.1' },
      },
    ]);
  });

  it('should cancel by our own reference an orphan of which nothing is known', async () => {
    const status = await adapter.getStatus(orphan());
    await adapter.cancel(orphan(), status);

    expect(status).toEqual({ status: 'failed', gatewayStatus: 'no-result' });
    expect(simulator.calls()).toEqual([
      {
        route: 'cancels',
        method: 'POST',
        path: '/v72/cancels',
        caller: 'DonationsECOM',
        authenticated: true,
        idempotencyKey: 'rectify-cancel-48213377.1',
        body: { merchantAccount: 'DonationsECOM', paymentReference: '48213377.1', reference: 'rectify-48213377.1' },
      },
    ]);
    expect(simulator.cancelledReferences()).toEqual(['48213377.1']);
  });

  it('should, for an already-imported row (no status asked), leave a payment complete by automatic capture alone', async () => {
    simulator.setPayment('PSP0010', { resultCode: 'Authorised' });
    simulator.setRedirect('redirect-imported', 'PSP0010');
    const automatic = new AdyenAdapter(options({ capture: 'automatic' }));

    await automatic.cancel(orphan({}, { redirect_result: 'redirect-imported' }));

    expect(simulator.calls().map((c) => c.route)).toEqual(['payments.details']);
    expect(simulator.payment('PSP0010')).not.toHaveProperty('cancelled');
  });

  it('should send nothing to cancel for a refused payment, and leave a partial authorisation for a person', async () => {
    simulator.setPayment('PSP0004', { resultCode: 'Refused' });
    simulator.setRedirect('redirect-refused', 'PSP0004');
    simulator.setPayment('PSP0005', { resultCode: 'PartiallyAuthorised' });
    simulator.setRedirect('redirect-partial', 'PSP0005');

    const refused = await adapter.getStatus(orphan({}, { redirect_result: 'redirect-refused' }));
    await adapter.cancel(orphan(), refused);
    const partial = adapter.getStatus(orphan({}, { redirect_result: 'redirect-partial' }));

    expect(refused).toMatchObject({ status: 'failed', cancellable: false });
    await expect(partial).rejects.toThrow(PaymentNeedsReviewError);
    expect(simulator.calls().map((c) => c.route)).toEqual(['payments.details', 'payments.details']);
  });

  it('should authenticate each account with its own key and stop on a refused key', async () => {
    simulator.setPayment('PSP0006', { resultCode: 'Pending', merchantAccount: 'DonationsRecurring' });
    simulator.setRedirect('redirect-other', 'PSP0006');
    const other = new AdyenAdapter(options(OTHER));
    const wrongKey = new AdyenAdapter(options({ apiKey: 'guessed-key' }));

    const status = await other.getStatus(orphan({}, { redirect_result: 'redirect-other' }));
    const refused = wrongKey.getStatus(orphan({}, { redirect_result: 'redirect-other' }));

    expect(status.status).toBe('pending');
    await expect(refused).rejects.toThrow(ProcessorUnavailableError);
    await expect(refused).rejects.not.toThrow(/guessed-key|adyen-key/);
    expect(simulator.calls().map((c) => [c.caller ?? null, c.authenticated])).toEqual([
      ['DonationsRecurring', true],
      [null, false],
    ]);
  });

  it.each([503, 500, 429])('should count a load balancer\'s HTML %i page (not Adyen\'s JSON) as an outage', async (httpStatus) => {
    simulator.setPayment('PSP0008', { resultCode: 'Authorised', amount: { currency: 'EUR', value: 2500 } });
    simulator.setFault('payments.captures', { httpStatus, html: `<html><body>${httpStatus} Service Temporarily Unavailable</body></html>`, times: 1 });

    const attempt = adapter.finish(orphan(), { status: 'needs-finishing', gatewayTxnId: 'PSP0008' });

    await expect(attempt).rejects.toThrow(ProcessorUnavailableError);
    await expect(attempt).rejects.toThrow(`Adyen capture: HTTP ${httpStatus}, answer is not JSON`);
  });

  it('should tell an outage (503, unreachable, too slow) from a failed request (500, 429) and a refusal (422)', async () => {
    simulator.setPayment('PSP0007', { resultCode: 'Authorised', amount: { currency: 'EUR', value: 2500 } });
    const unreachable = new AdyenAdapter(options({ checkoutEndpoint: 'https://127.0.0.1:1' }));
    const authorised = { status: 'needs-finishing' as const, gatewayTxnId: 'PSP0007' };

    simulator.setFault('payments.captures', { httpStatus: 503, times: 1 });
    await expect(adapter.finish(orphan(), authorised)).rejects.toThrow(ProcessorUnavailableError);
    simulator.setFault('payments.captures', { httpStatus: 500, times: 1 });
    await expect(adapter.finish(orphan(), authorised)).rejects.toThrow(ProcessorTemporaryError);
    simulator.setFault('payments.captures', { httpStatus: 429, times: 1 });
    await expect(adapter.finish(orphan(), authorised)).rejects.toThrow(ProcessorTemporaryError);
    simulator.setFault('payments.captures', { latencyMs: 1500, times: 1 });
    await expect(adapter.finish(orphan(), authorised)).rejects.toThrow(ProcessorUnavailableError);
    await expect(unreachable.finish(orphan(), authorised)).rejects.toThrow(ProcessorUnavailableError);
    await expect(adapter.finish(orphan({}, { gross: '30.00' }), authorised)).rejects.toThrow(ProcessorResponseError);
    await expect(adapter.finish(orphan({}, { gross: '30.00' }), authorised)).rejects.toThrow(/HTTP 422 errorCode 137: Invalid amount specified/);
  });
});
