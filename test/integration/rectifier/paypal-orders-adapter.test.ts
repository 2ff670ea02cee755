import { ConfigError, InfrastructureError, PermanentError, RetryableError } from '../../../lib/errors';
import { PayPalAuthenticationError, PayPalNeedsPersonError, PayPalStillProcessingError } from '../../../lib/rectifier/paypal-common';
import { PayPalOrdersAdapter } from '../../../lib/rectifier/paypal-orders-adapter';
import { ProcessorResponseError, type OrphanPayment } from '../../../lib/rectifier/processor-adapter';
import { ProcessorTemporaryError, ProcessorUnavailableError } from '../../../lib/rectifier/processor-http';
import { SIMULATED_PAYER, startPayPalSimulator, type PayPalSimulator } from '../../../scripts/simulators/paypal';
import fixture from '../../../fixtures/pending-message.json';

const ORDER = '5O190127TN364715T';
/** The pending fixture's amount: PayPal's order must be for it. */
const AMOUNT = { currency_code: fixture.currency, value: fixture.gross };
const BASIC = `Basic ${Buffer.from('sim-client-id:sim-client-secret').toString('base64')}`;

describe('PayPalOrdersAdapter against the PayPal simulator', () => {
  let simulator: PayPalSimulator;

  beforeAll(async () => {
    simulator = await startPayPalSimulator();
  });

  afterAll(async () => {
    await simulator.close();
  });

  beforeEach(() => simulator.reset());

  const adapter = (overrides: Partial<ConstructorParameters<typeof PayPalOrdersAdapter>[0]> = {}) =>
    new PayPalOrdersAdapter({ baseUrl: simulator.url, clientId: simulator.credentials.clientId, clientSecret: simulator.credentials.clientSecret, timeoutMs: 2000, ...overrides });

  const payment = (extra: Record<string, unknown> = {}): OrphanPayment => ({
    gateway: 'paypal',
    orderId: '48213377.1',
    gatewayTxnId: null,
    message: { ...fixture, gateway: 'paypal', gateway_session_id: ORDER, ...extra },
  });

  /** Everything an error or result says, to check that no payer data leaked into it. */
  const leaks = (text: string) => [SIMULATED_PAYER.email, SIMULATED_PAYER.givenName, SIMULATED_PAYER.surname, SIMULATED_PAYER.payerId, fixture.email].filter((v) => text.includes(v));

  it('should take one OAuth token with the client credentials and read the order with it', async () => {
    simulator.setOrder(ORDER, { status: 'APPROVED', amount: AMOUNT });

    const status = await adapter().getStatus(payment());

    expect(status).toEqual({ status: 'needs-finishing', gatewayStatus: 'APPROVED' });
    const calls = simulator.calls();
    expect(calls).toEqual([
      { method: 'POST', path: '/v1/oauth2/token', headers: { authorization: BASIC, 'content-type': 'application/x-www-form-urlencoded' }, body: { grant_type: 'client_credentials' } },
      { method: 'GET', path: `/v2/checkout/orders/${ORDER}`, headers: { authorization: 'Bearer A21AASIM000001' }, body: null },
    ]);
  });

  it('should capture an approved order with a PayPal-Request-Id derived from the order id and return the capture id', async () => {
    simulator.setOrder(ORDER, { status: 'APPROVED', amount: { currency_code: 'BRL', value: '25.00' } });
    const paypal = adapter();

    const completion = await paypal.finish(payment(), { status: 'needs-finishing' });

    expect(completion).toEqual({ gatewayTxnId: expect.stringMatching(/^3SIM/), gatewayStatus: 'COMPLETED' });
    expect(simulator.calls().filter((call) => call.path.endsWith('/capture'))).toEqual([
      {
        method: 'POST',
        path: `/v2/checkout/orders/${ORDER}/capture`,
        headers: { authorization: expect.stringMatching(/^Bearer /), 'paypal-request-id': `rectify-capture-${ORDER}`, prefer: 'return=representation', 'content-type': 'application/json' },
        body: null,
      },
    ]);
    expect(simulator.charges()).toEqual([ORDER]);
  });

  it('should not capture twice when a capture is retried after its reply was lost', async () => {
    simulator.setOrder(ORDER, { status: 'APPROVED', amount: AMOUNT, loseCaptureReply: true });
    const paypal = adapter();

    const lost = paypal.finish(payment(), { status: 'needs-finishing' });
    await expect(lost).rejects.toBeInstanceOf(ProcessorUnavailableError);
    const retried = await paypal.finish(payment(), { status: 'needs-finishing' });

    const captures = simulator.calls().filter((call) => call.path.endsWith('/capture'));
    expect(captures.map((call) => call.headers['paypal-request-id'])).toEqual([`rectify-capture-${ORDER}`, `rectify-capture-${ORDER}`]);
    expect(simulator.charges()).toEqual([ORDER]);
    expect(retried).toEqual({ gatewayTxnId: simulator.order(ORDER)!.capture!.id, gatewayStatus: 'COMPLETED' });
  });

  it('should authorize an approved authorize-intent order and capture its authorization, each with its own PayPal-Request-Id', async () => {
    simulator.setOrder(ORDER, { status: 'APPROVED', intent: 'AUTHORIZE', amount: AMOUNT });
    const paypal = adapter();
    const orphan = payment();

    const status = await paypal.getStatus(orphan);
    const completion = await paypal.finish(orphan, status);

    const authorizationId = simulator.order(ORDER)!.authorization!.id;
    expect(status).toEqual({ status: 'needs-finishing', gatewayStatus: 'APPROVED' });
    expect(completion).toEqual({ gatewayTxnId: simulator.order(ORDER)!.capture!.id, gatewayStatus: 'COMPLETED' });
    expect(simulator.calls().filter((call) => call.method === 'POST' && call.path !== '/v1/oauth2/token').map((call) => [call.path, call.headers['paypal-request-id'], call.body])).toEqual([
      [`/v2/checkout/orders/${ORDER}/authorize`, `rectify-authorize-${ORDER}`, null],
      [`/v2/payments/authorizations/${authorizationId}/capture`, `rectify-capture-${authorizationId}`, { final_capture: true }],
    ]);
    expect(simulator.charges()).toEqual([ORDER]);
  });

  it('should capture the authorization of an order authorized by an earlier attempt, not authorize again', async () => {
    simulator.setOrder(ORDER, { status: 'COMPLETED', intent: 'AUTHORIZE', amount: AMOUNT, authorization: { id: '0AW2184448108334S', status: 'CREATED' } });
    const paypal = adapter();
    const orphan = payment();

    const status = await paypal.getStatus(orphan);
    await paypal.finish(orphan, status);

    expect(status).toEqual({ status: 'needs-finishing', gatewayStatus: 'AUTHORIZED' });
    expect(simulator.calls().map((call) => `${call.method} ${call.path}`)).toEqual([
      'POST /v1/oauth2/token',
      `GET /v2/checkout/orders/${ORDER}`,
      'POST /v2/payments/authorizations/0AW2184448108334S/capture',
    ]);
    expect(simulator.charges()).toEqual([ORDER]);
  });

  it('should read ORDER_ALREADY_CAPTURED as the capture that was made', async () => {
    simulator.setOrder(ORDER, { status: 'COMPLETED', capture: { id: '3C679366HH908993F', status: 'COMPLETED' } });

    const completion = await adapter().finish(payment(), { status: 'needs-finishing' });

    expect(completion).toEqual({ gatewayTxnId: '3C679366HH908993F', gatewayStatus: 'COMPLETED' });
    expect(simulator.charges()).toEqual([]);
  });

  it.each([
    ['COMPLETED, captured', { status: 'COMPLETED', capture: { id: '3C679366HH908993F', status: 'COMPLETED' } }, { status: 'complete', gatewayStatus: 'COMPLETED', gatewayTxnId: '3C679366HH908993F' }],
    ['COMPLETED, capture DECLINED', { status: 'COMPLETED', capture: { id: '3C679366HH908993F', status: 'DECLINED' } }, { status: 'failed', gatewayStatus: 'DECLINED', gatewayTxnId: '3C679366HH908993F' }],
    ['COMPLETED, capture REFUNDED', { status: 'COMPLETED', capture: { id: '3C679366HH908993F', status: 'REFUNDED' } }, { status: 'refunded', gatewayStatus: 'REFUNDED', gatewayTxnId: '3C679366HH908993F' }],
    ['CREATED', { status: 'CREATED' }, { status: 'discard', gatewayStatus: 'CREATED' }],
    ['PAYER_ACTION_REQUIRED', { status: 'PAYER_ACTION_REQUIRED' }, { status: 'discard', gatewayStatus: 'PAYER_ACTION_REQUIRED' }],
    ['VOIDED', { status: 'VOIDED' }, { status: 'cancelled', gatewayStatus: 'VOIDED' }],
  ] as const)('should read an order %s as the status its capture or order status maps to', async (_label, scenario, expected) => {
    simulator.setOrder(ORDER, structuredClone(scenario) as Parameters<PayPalSimulator['setOrder']>[1]);

    await expect(adapter().getStatus(payment())).resolves.toEqual(expected);
  });

  it('should discard an order PayPal does not know (404 RESOURCE_NOT_FOUND)', async () => {
    await expect(adapter().getStatus(payment())).resolves.toEqual({ status: 'discard', gatewayStatus: 'RESOURCE_NOT_FOUND' });
  });

  it('should not discard an unknown order whose id came from gateway_txn_id, which may be another kind of PayPal id', async () => {
    const byTxn: OrphanPayment = { ...payment({ gateway_session_id: undefined }), gatewayTxnId: '3C679366HH908993F' };

    const attempt = adapter().getStatus(byTxn);

    await expect(attempt).rejects.toThrow(ProcessorResponseError);
    await expect(attempt).rejects.toThrow('HTTP 404 (RESOURCE_NOT_FOUND, INVALID_RESOURCE_ID');
  });

  it('should hand an order approved for another amount than the pending row’s to a person, not capture it', async () => {
    simulator.setOrder(ORDER, { status: 'APPROVED', amount: { currency_code: 'BRL', value: '250.00' } });

    await expect(adapter().getStatus(payment())).rejects.toThrow(PayPalNeedsPersonError);
    expect(simulator.charges()).toEqual([]);
  });

  it('should hand an approved recurring donation to a person and never capture it', async () => {
    simulator.setOrder(ORDER, { status: 'APPROVED', amount: AMOUNT });
    const paypal = adapter();

    await expect(paypal.getStatus(payment({ recurring: '1' }))).rejects.toThrow(PayPalNeedsPersonError);
    await expect(paypal.finish(payment({ recurring: '1' }), { status: 'needs-finishing' })).rejects.toThrow(PayPalNeedsPersonError);

    expect(simulator.calls().filter((call) => call.path.endsWith('/capture'))).toEqual([]);
  });

  it('should count a PENDING capture as still processing, to be looked at again later', async () => {
    simulator.setOrder(ORDER, { status: 'APPROVED', amount: AMOUNT, captureOutcome: 'PENDING' });

    const attempt = adapter().finish(payment(), { status: 'needs-finishing' });

    await expect(attempt).rejects.toThrow(PayPalStillProcessingError);
    await expect(attempt).rejects.toBeInstanceOf(RetryableError);
  });

  it('should count INSTRUMENT_DECLINED as a refusal naming the issue and debug_id, without payer data', async () => {
    simulator.setOrder(ORDER, { status: 'APPROVED', amount: AMOUNT, captureOutcome: 'INSTRUMENT_DECLINED' });

    const error = await adapter().finish(payment(), { status: 'needs-finishing' }).then(() => new Error('no error'), (e: unknown) => e as Error);

    expect(error).toBeInstanceOf(ProcessorResponseError);
    expect(error).toBeInstanceOf(PermanentError);
    expect(error.message).toMatch(/^PayPal capture order 5O190127TN364715T: HTTP 422 \(UNPROCESSABLE_ENTITY, INSTRUMENT_DECLINED, debug_id f[0-9a-f]+\)$/);
    expect(leaks(`${error.message} ${error.stack}`)).toEqual([]);
  });

  it('should count HTTP 500 as a temporary failure and 503 as an outage', async () => {
    simulator.setOrder(ORDER, { status: 'APPROVED', amount: AMOUNT, failure: { httpStatus: 500, times: 1 } });
    await expect(adapter().getStatus(payment())).rejects.toBeInstanceOf(ProcessorTemporaryError);

    simulator.setOrder(ORDER, { status: 'APPROVED', amount: AMOUNT, failure: { httpStatus: 503, times: 1 } });
    const outage = adapter().getStatus(payment());
    await expect(outage).rejects.toBeInstanceOf(ProcessorUnavailableError);
    await expect(outage).rejects.toBeInstanceOf(InfrastructureError);
  });

  it('should count an answer slower than the timeout as an outage', async () => {
    simulator.setOrder(ORDER, { status: 'APPROVED', amount: AMOUNT, latencyMs: 1500 });

    await expect(adapter({ timeoutMs: 300 }).getStatus(payment())).rejects.toThrow(/unreachable \(GET order 5O190127TN364715T\): no answer in time/);
  });

  it('should stop the run like an outage when PayPal refuses the client credentials', async () => {
    simulator.setOrder(ORDER, { status: 'APPROVED', amount: AMOUNT });

    const attempt = adapter({ clientSecret: 'wrong' }).getStatus(payment());

    await expect(attempt).rejects.toThrow(PayPalAuthenticationError);
    await expect(attempt).rejects.toBeInstanceOf(InfrastructureError);
    await expect(attempt).rejects.not.toThrow('wrong');
  });

  it('should take a new token and try once more when PayPal no longer accepts the one it has (401)', async () => {
    simulator.setOrder(ORDER, { status: 'APPROVED', amount: AMOUNT });
    const paypal = adapter();
    await paypal.getStatus(payment());
    simulator.revokeTokens();

    await expect(paypal.getStatus(payment())).resolves.toMatchObject({ status: 'needs-finishing' });

    expect(simulator.calls().map((call) => `${call.method} ${call.path} ${call.headers.authorization?.split(' ')[0]}`)).toEqual([
      'POST /v1/oauth2/token Basic',
      `GET /v2/checkout/orders/${ORDER} Bearer`,
      `GET /v2/checkout/orders/${ORDER} Bearer`,
      'POST /v1/oauth2/token Basic',
      `GET /v2/checkout/orders/${ORDER} Bearer`,
    ]);
  });

  it('should ask for a token again on the next call after a token request failed', async () => {
    simulator.setOrder(ORDER, { status: 'APPROVED', amount: AMOUNT });
    simulator.failTokenRequests({ httpStatus: 503, times: 1 });
    const paypal = adapter();

    await expect(paypal.getStatus(payment())).rejects.toBeInstanceOf(ProcessorUnavailableError);
    await expect(paypal.getStatus(payment())).resolves.toMatchObject({ status: 'needs-finishing' });
  });

  it('should refuse to start without credentials', () => {
    expect(() => adapter({ clientSecret: undefined })).toThrow(ConfigError);
  });
});
