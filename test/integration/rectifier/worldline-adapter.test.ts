import { PaymentAmountMismatchError, PaymentNeedsReviewError, ProcessorResponseError, type OrphanPayment } from '../../../lib/rectifier/processor-adapter';
import { RetryableError } from '../../../lib/errors';
import { ProcessorTemporaryError, ProcessorUnavailableError, RequestInProgressError } from '../../../lib/rectifier/processor-http';
import { WorldlineAdapter } from '../../../lib/rectifier/worldline-adapter';
import { startWorldlineSimulator, type WorldlineSimulator } from '../../../scripts/simulators/worldline';
import fixture from '../../../fixtures/pending-message.json';

const ACCOUNT = { merchantId: '1234', apiKeyId: 'key-eu', secretApiKey: 'secret-eu' };
const OTHER = { merchantId: '5678', apiKeyId: 'key-us', secretApiKey: 'secret-us' };

describe('WorldlineAdapter against the Worldline Connect simulator, through connect-sdk-nodejs', () => {
  let simulator: WorldlineSimulator;
  let adapter: WorldlineAdapter;

  beforeAll(async () => {
    simulator = await startWorldlineSimulator({ credentials: [ACCOUNT, OTHER] });
    adapter = new WorldlineAdapter({ ...ACCOUNT, endpoint: simulator.url, integrator: 'donation-buffer', paymentMethods: ['cc'], timeoutMs: 1000 });
  });

  afterAll(async () => {
    await simulator.close();
  });

  beforeEach(() => simulator.reset());

  const orphan = (extra: Partial<OrphanPayment> = {}, message: Record<string, unknown> = {}): OrphanPayment => ({
    gateway: 'ingenico',
    orderId: '48213377.1',
    gatewayTxnId: null,
    message: { ...fixture, gateway: 'ingenico', gross: '25.00', currency: 'EUR', ...message },
    ...extra,
  });

  it('should read a payment by its id with a request signed by the account key', async () => {
    simulator.setPayment('000000123410000001230000100001', { status: 'CAPTURED', statusCode: 900 });

    const status = await adapter.getStatus(orphan({ gatewayTxnId: '000000123410000001230000100001' }));

    expect(status).toEqual({ status: 'complete', gatewayStatus: '900', gatewayTxnId: '000000123410000001230000100001', cancellable: false });
    expect(simulator.calls()).toEqual([
      { route: 'payments.get', method: 'GET', path: '/v1/1234/payments/000000123410000001230000100001', caller: 'key-eu', authenticated: true, body: null },
    ]);
  });

  it('should find the payment through the hosted checkout of a row without a payment id, then approve its whole authorisation', async () => {
    simulator.setHostedCheckout('hc-1', { status: 'PAYMENT_CREATED', paymentId: 'pay-600' });
    simulator.setPayment('pay-600', { status: 'PENDING_APPROVAL', statusCode: 600, amount: 2500, currencyCode: 'EUR', isCancellable: true });

    const row = orphan({}, { gateway_session_id: 'hc-1' });

    const status = await adapter.getStatus(row);
    const completion = await adapter.approve(row, status);

    expect(status).toEqual({ status: 'needs-approval', gatewayStatus: '600', gatewayTxnId: 'pay-600' });
    expect(completion).toEqual({ gatewayTxnId: 'pay-600', gatewayStatus: '800' });
    expect(simulator.calls()).toEqual([
      { route: 'hostedcheckouts.get', method: 'GET', path: '/v1/1234/hostedcheckouts/hc-1', caller: 'key-eu', authenticated: true, body: null },
      {
        route: 'payments.approve',
        method: 'POST',
        path: '/v1/1234/payments/pay-600/approve',
        caller: 'key-eu',
        authenticated: true,
        idempotencyKey: 'rectify-approve-pay-600',
        body: {},
      },
    ]);
    expect(simulator.payment('pay-600')).toMatchObject({ status: 'CAPTURE_REQUESTED', statusCode: 800, approvedAmount: 2500 });
  });

  it.each([
    // Connect's amounts are "in cents and always having 2 decimals", whatever the currency.
    ['1000', 'JPY', 100000],
    ['5000', 'KRW', 500000],
    ['1.250', 'KWD', 125],
    ['19.99', 'EUR', 1999],
  ])('should approve the whole authorisation of a %s %s orphan (Connect amount %i)', async (gross, currency, amount) => {
    simulator.setPayment('pay-currency', { status: 'PENDING_APPROVAL', statusCode: 600, amount, currencyCode: currency, isCancellable: true });
    const row = orphan({ gatewayTxnId: 'pay-currency' }, { gross, currency });

    const status = await adapter.getStatus(row);
    await adapter.approve(row, status);

    expect(simulator.calls().map((c) => c.route)).toEqual(['payments.get', 'payments.approve']);
    expect(simulator.payment('pay-currency')).toMatchObject({ status: 'CAPTURE_REQUESTED', approvedAmount: amount });
  });

  it('should approve nothing when the payment is authorised for another amount or currency than the row\'s', async () => {
    simulator.setPayment('pay-other', { status: 'PENDING_APPROVAL', statusCode: 600, amount: 2500, currencyCode: 'EUR', isCancellable: true });
    simulator.setPayment('pay-yen', { status: 'PENDING_APPROVAL', statusCode: 600, amount: 1000, currencyCode: 'JPY', isCancellable: true });
    const higher = orphan({ gatewayTxnId: 'pay-other' }, { gross: '30.00' });
    const yen = orphan({ gatewayTxnId: 'pay-yen' }, { gross: '1000', currency: 'JPY' });

    const refusals = await Promise.allSettled([higher, yen].map(async (row) => adapter.approve(row, await adapter.getStatus(row))));

    expect(refusals.map((r) => (r.status === 'rejected' ? (r.reason as Error).name : r.status))).toEqual(['PaymentAmountMismatchError', 'PaymentAmountMismatchError']);
    expect((refusals[0] as PromiseRejectedResult).reason).toBeInstanceOf(PaymentAmountMismatchError);
    expect(String((refusals[0] as PromiseRejectedResult).reason)).toContain("Worldline payment pay-other is not authorised for the pending row's amount and currency: not approved");
    expect(simulator.calls().map((c) => c.route)).toEqual(['payments.get', 'payments.get']);
    expect([simulator.payment('pay-other')?.status, simulator.payment('pay-yen')?.status]).toEqual(['PENDING_APPROVAL', 'PENDING_APPROVAL']);
  });

  it('should read the payment\'s amount before approving when its status was not read for this row', async () => {
    simulator.setPayment('pay-unread', { status: 'PENDING_APPROVAL', statusCode: 600, amount: 100000, currencyCode: 'JPY', isCancellable: true });

    await adapter.approve(orphan({ gatewayTxnId: 'pay-unread' }, { gross: '1000', currency: 'JPY' }), { status: 'needs-approval', gatewayTxnId: 'pay-unread' });

    expect(simulator.calls().map((c) => `${c.route} ${JSON.stringify(c.body)}`)).toEqual(['payments.get null', 'payments.approve {}']);
    expect(simulator.payment('pay-unread')).toMatchObject({ approvedAmount: 100000 });
  });

  it('should leave an approve Connect is still handling (409, 1409 DUPLICATE_REQUEST_IN_PROGRESS) for a later attempt, which gets its outcome', async () => {
    simulator.setPayment('pay-slow', { status: 'PENDING_APPROVAL', statusCode: 600, amount: 2500, currencyCode: 'EUR', isCancellable: true, approveTakesMs: 600 });
    const impatient = new WorldlineAdapter({ ...ACCOUNT, endpoint: simulator.url, integrator: 'donation-buffer', paymentMethods: ['cc'], timeoutMs: 200 });
    const row = orphan({ gatewayTxnId: 'pay-slow' });
    const status = await impatient.getStatus(row);

    const lost = impatient.approve(row, status);
    await expect(lost).rejects.toThrow(ProcessorUnavailableError);
    const inProgress = impatient.approve(row, status);
    await expect(inProgress).rejects.toThrow(RequestInProgressError);
    await expect(inProgress).rejects.toBeInstanceOf(RetryableError);
    await expect(inProgress).rejects.toThrow(/HTTP 409: 1409 DUPLICATE_REQUEST_IN_PROGRESS: the request with idempotence key rectify-approve-pay-slow is still being handled, first attempt at \d{4}-/);
    await new Promise((resolve) => setTimeout(resolve, 600));
    const completion = await impatient.approve(row, status);

    expect(completion).toEqual({ gatewayTxnId: 'pay-slow', gatewayStatus: '800' });
    expect(simulator.calls().map((c) => `${c.route} ${c.idempotencyKey ?? ''}`.trim())).toEqual([
      'payments.get',
      'payments.approve rectify-approve-pay-slow',
      'payments.approve rectify-approve-pay-slow',
      'payments.approve rectify-approve-pay-slow',
    ]);
    expect(simulator.payment('pay-slow')).toMatchObject({ status: 'CAPTURE_REQUESTED', approvedAmount: 2500 });
  });

  it('should count another 409 as a refusal of the approve', async () => {
    simulator.setPayment('pay-409', { status: 'PENDING_APPROVAL', statusCode: 600, isCancellable: true });
    simulator.setFault('payments.approve', { httpStatus: 409, times: 1 });
    const row = orphan({ gatewayTxnId: 'pay-409' });

    const attempt = adapter.approve(row, await adapter.getStatus(row));

    await expect(attempt).rejects.toThrow(ProcessorResponseError);
    await expect(attempt).rejects.toThrow('Worldline approve payment: HTTP 409: 1000 FAULT');
  });

  it('should count a payment still waiting for the donor as failed and cancel it when it is cancellable', async () => {
    simulator.setPayment('pay-50', { status: 'REDIRECTED', statusCode: 50, isCancellable: true });

    const status = await adapter.getStatus(orphan({ gatewayTxnId: 'pay-50' }));
    await adapter.cancel(orphan({ gatewayTxnId: 'pay-50' }), status);

    expect(status.status).toBe('failed');
    expect(simulator.calls().map((c) => `${c.method} ${c.path}`)).toEqual(['GET /v1/1234/payments/pay-50', 'POST /v1/1234/payments/pay-50/cancel']);
    expect(simulator.payment('pay-50')).toMatchObject({ status: 'CANCELLED', statusCode: 99999 });
  });

  it('should send no cancel for a payment the processor says is not cancellable, nor for an abandoned hosted checkout', async () => {
    simulator.setPayment('pay-100', { status: 'REJECTED', statusCode: 100, isCancellable: false });
    simulator.setHostedCheckout('hc-open', { status: 'IN_PROGRESS' });

    const rejected = await adapter.getStatus(orphan({ gatewayTxnId: 'pay-100' }));
    await adapter.cancel(orphan({ gatewayTxnId: 'pay-100' }), rejected);
    const abandoned = await adapter.getStatus(orphan({}, { gateway_session_id: 'hc-open' }));
    await adapter.cancel(orphan({}, { gateway_session_id: 'hc-open' }), abandoned);

    expect([rejected.status, abandoned.status]).toEqual(['failed', 'failed']);
    expect(simulator.calls().map((c) => c.route)).toEqual(['payments.get', 'hostedcheckouts.get']);
  });

  it('should, for an already-imported row (no status asked), cancel a leftover authorisation but never the captured payment', async () => {
    simulator.setHostedCheckout('hc-dup', { status: 'PAYMENT_CREATED', paymentId: 'pay-dup' });
    simulator.setPayment('pay-dup', { status: 'PENDING_APPROVAL', statusCode: 600, isCancellable: true });
    simulator.setHostedCheckout('hc-paid', { status: 'PAYMENT_CREATED', paymentId: 'pay-paid' });
    simulator.setPayment('pay-paid', { status: 'CAPTURE_REQUESTED', statusCode: 800, isCancellable: true });

    await adapter.cancel(orphan({}, { gateway_session_id: 'hc-dup' }));
    await adapter.cancel(orphan({}, { gateway_session_id: 'hc-paid' }));

    expect(simulator.calls().map((c) => `${c.route} ${c.path}`)).toEqual([
      'hostedcheckouts.get /v1/1234/hostedcheckouts/hc-dup',
      'payments.cancel /v1/1234/payments/pay-dup/cancel',
      'hostedcheckouts.get /v1/1234/hostedcheckouts/hc-paid',
    ]);
    expect(simulator.payment('pay-paid')).toMatchObject({ status: 'CAPTURE_REQUESTED' });
  });

  it('should leave a payment challenged by the fraud rules (525) for a person', async () => {
    simulator.setPayment('pay-525', { status: 'PENDING_FRAUD_APPROVAL', statusCode: 525, isCancellable: true });

    await expect(adapter.getStatus(orphan({ gatewayTxnId: 'pay-525' }))).rejects.toThrow(PaymentNeedsReviewError);
    expect(simulator.calls()).toHaveLength(1);
  });

  it('should discard a payment or hosted checkout the processor does not know (404)', async () => {
    const byPayment = await adapter.getStatus(orphan({ gatewayTxnId: 'nobody' }));
    const byCheckout = await adapter.getStatus(orphan({}, { gateway_session_id: 'nothing' }));

    expect([byPayment.status, byCheckout.status]).toEqual(['discard', 'discard']);
  });

  it('should sign with each account its own key and refuse another merchant (credentials refused: the run stops)', async () => {
    const us = new WorldlineAdapter({ ...OTHER, endpoint: simulator.url, integrator: 'donation-buffer', paymentMethods: ['cc'], timeoutMs: 1000 });
    const wrongMerchant = new WorldlineAdapter({ ...OTHER, merchantId: '1234', endpoint: simulator.url, integrator: 'x', paymentMethods: ['cc'], timeoutMs: 1000 });
    const wrongSecret = new WorldlineAdapter({ ...ACCOUNT, secretApiKey: 'guessed', endpoint: simulator.url, integrator: 'x', paymentMethods: ['cc'], timeoutMs: 1000 });
    simulator.setPayment('pay-us', { status: 'PAID', statusCode: 1000, merchantId: '5678' });

    const status = await us.getStatus(orphan({ gatewayTxnId: 'pay-us' }));
    const refused = wrongMerchant.getStatus(orphan({ gatewayTxnId: 'pay-us' }));
    const unsigned = wrongSecret.getStatus(orphan({ gatewayTxnId: 'pay-us' }));

    expect(status.status).toBe('complete');
    await expect(refused).rejects.toThrow(ProcessorUnavailableError);
    await expect(unsigned).rejects.toThrow(/HTTP 401 \(credentials refused\)/);
    expect(simulator.calls().map((c) => [c.caller, c.authenticated])).toEqual([
      ['key-us', true],
      ['key-us', false],
      ['key-eu', false],
    ]);
    await expect(unsigned).rejects.not.toThrow(/guessed|secret-eu/);
  });

  it.each([502, 503, 504, 500, 429])('should count a load balancer\'s HTML %i page (not Connect\'s JSON) as an outage', async (httpStatus) => {
    simulator.setPayment('pay-600', { status: 'PENDING_APPROVAL', statusCode: 600 });
    simulator.setFault('payments.get', { httpStatus, html: `<html><body><h1>${httpStatus} Service Temporarily Unavailable</h1></body></html>`, times: 1 });

    const attempt = adapter.getStatus(orphan({ gatewayTxnId: 'pay-600' }));

    await expect(attempt).rejects.toThrow(ProcessorUnavailableError);
    await expect(attempt).rejects.toThrow(`Worldline get payment: HTTP ${httpStatus}, answer is not JSON`);
  });

  it('should tell an outage (503, unreachable, too slow) from a failed request (500) and a refusal (400)', async () => {
    simulator.setPayment('pay-600', { status: 'PENDING_APPROVAL', statusCode: 600 });
    const unreachable = new WorldlineAdapter({ ...ACCOUNT, endpoint: 'http://127.0.0.1:1', integrator: 'x', paymentMethods: ['cc'], timeoutMs: 1000 });

    simulator.setFault('payments.get', { httpStatus: 503, times: 1 });
    await expect(adapter.getStatus(orphan({ gatewayTxnId: 'pay-600' }))).rejects.toThrow(ProcessorUnavailableError);
    simulator.setFault('payments.get', { httpStatus: 500, times: 1 });
    await expect(adapter.getStatus(orphan({ gatewayTxnId: 'pay-600' }))).rejects.toThrow(ProcessorTemporaryError);
    simulator.setFault('payments.get', { latencyMs: 1500, times: 1 });
    await expect(adapter.getStatus(orphan({ gatewayTxnId: 'pay-600' }))).rejects.toThrow(/no answer within 1000 ms/);
    await expect(unreachable.getStatus(orphan({ gatewayTxnId: 'pay-600' }))).rejects.toThrow(ProcessorUnavailableError);
    simulator.setFault('payments.approve', { httpStatus: 400, times: 1 });
    await expect(adapter.approve(orphan({ gatewayTxnId: 'pay-600' }), { status: 'needs-approval', gatewayTxnId: 'pay-600' })).rejects.toThrow(ProcessorResponseError);
  });
});
