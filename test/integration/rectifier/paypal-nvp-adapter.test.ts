import { ConfigError, InfrastructureError, MalformedMessageError, RetryableError } from '../../../lib/errors';
import { PayPalAuthenticationError, PayPalNeedsPersonError, PayPalStillProcessingError } from '../../../lib/rectifier/paypal-common';
import { PayPalNvpAdapter } from '../../../lib/rectifier/paypal-nvp-adapter';
import { ProcessorResponseError, type OrphanPayment } from '../../../lib/rectifier/processor-adapter';
import { ProcessorTemporaryError, ProcessorUnavailableError } from '../../../lib/rectifier/processor-http';
import { SIMULATED_PAYER, startPayPalSimulator, type PayPalSimulator } from '../../../scripts/simulators/paypal';
import fixture from '../../../fixtures/pending-message.json';

const TOKEN = 'EC-7TX14536XK3290544';
const PAYER = 'SIMPAYER7Q3';

describe('PayPalNvpAdapter against the PayPal simulator', () => {
  let simulator: PayPalSimulator;

  beforeAll(async () => {
    simulator = await startPayPalSimulator();
  });

  afterAll(async () => {
    await simulator.close();
  });

  beforeEach(() => simulator.reset());

  const credentials = () => ({ USER: simulator.credentials.nvpUser, PWD: simulator.credentials.nvpPassword, SIGNATURE: simulator.credentials.nvpSignature, VERSION: '204.0' });

  const adapter = (overrides: Partial<ConstructorParameters<typeof PayPalNvpAdapter>[0]> = {}) =>
    new PayPalNvpAdapter({
      url: simulator.nvpUrl,
      user: simulator.credentials.nvpUser,
      password: simulator.credentials.nvpPassword,
      signature: simulator.credentials.nvpSignature,
      version: '204.0',
      timeoutMs: 2000,
      ...overrides,
    });

  const payment = (extra: Record<string, unknown> = {}): OrphanPayment => ({
    gateway: 'paypal_ec',
    orderId: '48213377.1',
    gatewayTxnId: null,
    message: { ...fixture, gateway: 'paypal_ec', gateway_session_id: TOKEN, ...extra },
  });

  const leaks = (text: string) => [SIMULATED_PAYER.email, SIMULATED_PAYER.givenName, SIMULATED_PAYER.surname, PAYER, fixture.email].filter((v) => text.includes(v));

  it('should read an approved checkout as needs-finishing with one form-encoded GetExpressCheckoutDetails', async () => {
    simulator.setCheckout(TOKEN, { payerId: PAYER, amount: fixture.gross, currency: fixture.currency });

    const status = await adapter().getStatus(payment());

    expect(status).toEqual({ status: 'needs-finishing', gatewayStatus: 'PaymentActionNotInitiated' });
    expect(simulator.calls()).toEqual([
      { method: 'POST', path: '/nvp', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: { ...credentials(), METHOD: 'GetExpressCheckoutDetails', TOKEN } },
    ]);
  });

  it('should pay an approved checkout once with DoExpressCheckoutPayment, Sale, the amount and the order id as invoice', async () => {
    simulator.setCheckout(TOKEN, { payerId: PAYER, amount: '25.00', currency: 'BRL' });
    const paypal = adapter();
    const orphan = payment();

    const status = await paypal.getStatus(orphan);
    const completion = await paypal.finish(orphan, status);

    expect(completion).toEqual({ gatewayTxnId: expect.stringMatching(/^9SIM/), gatewayStatus: 'Completed' });
    expect(simulator.calls().map((call) => call.body)).toEqual([
      { ...credentials(), METHOD: 'GetExpressCheckoutDetails', TOKEN },
      {
        ...credentials(),
        METHOD: 'DoExpressCheckoutPayment',
        TOKEN,
        PAYERID: PAYER,
        PAYMENTREQUEST_0_AMT: '25.00',
        PAYMENTREQUEST_0_CURRENCYCODE: 'BRL',
        PAYMENTREQUEST_0_PAYMENTACTION: 'Sale',
        PAYMENTREQUEST_0_INVNUM: '48213377.1',
      },
    ]);
    expect(simulator.charges()).toEqual([TOKEN]);
  });

  it('should read the payment back instead of paying twice when PayPal answers 10415 (already completed)', async () => {
    simulator.setCheckout(TOKEN, { payerId: PAYER, amount: fixture.gross, currency: fixture.currency, loseDoReply: true });
    const paypal = adapter();

    const status = await paypal.getStatus(payment());
    await expect(paypal.finish(payment(), status)).rejects.toBeInstanceOf(ProcessorUnavailableError);
    const completion = await paypal.finish(payment(), status);

    expect(completion).toEqual({ gatewayTxnId: simulator.checkout(TOKEN)!.transactionId, gatewayStatus: 'Completed' });
    expect(simulator.charges()).toEqual([TOKEN]);
  });

  it.each([
    ['never approved (no PAYERID)', { checkoutStatus: 'PaymentActionNotInitiated' }, { status: 'discard', gatewayStatus: 'not-approved' }],
    ['completed, its payment Completed', { checkoutStatus: 'PaymentActionCompleted', payerId: PAYER, transactionId: '8DN02117BK123456X' }, { status: 'complete', gatewayStatus: 'Completed', gatewayTxnId: '8DN02117BK123456X' }],
    ['completed, its payment Denied', { checkoutStatus: 'PaymentActionCompleted', payerId: PAYER, transactionId: '8DN02117BK123456X', transactionStatus: 'Denied' }, { status: 'failed', gatewayStatus: 'Denied', gatewayTxnId: '8DN02117BK123456X' }],
    ['completed, its payment Reversed', { checkoutStatus: 'PaymentActionCompleted', payerId: PAYER, transactionId: '8DN02117BK123456X', transactionStatus: 'Reversed' }, { status: 'refunded', gatewayStatus: 'Reversed', gatewayTxnId: '8DN02117BK123456X' }],
    ['failed', { checkoutStatus: 'PaymentActionFailed', payerId: PAYER }, { status: 'failed', gatewayStatus: 'PaymentActionFailed' }],
    ['expired (10411)', { expired: true }, { status: 'discard', gatewayStatus: 'token-expired' }],
  ] as const)('should read a checkout %s as its status', async (_label, scenario, expected) => {
    simulator.setCheckout(TOKEN, structuredClone(scenario) as Parameters<PayPalSimulator['setCheckout']>[1]);

    await expect(adapter().getStatus(payment())).resolves.toEqual(expected);
  });

  it('should discard a token PayPal does not know (10410)', async () => {
    await expect(adapter().getStatus(payment())).resolves.toEqual({ status: 'discard', gatewayStatus: 'token-expired' });
  });

  it('should count a checkout in progress as still processing', async () => {
    simulator.setCheckout(TOKEN, { checkoutStatus: 'PaymentActionInProgress', payerId: PAYER });

    const attempt = adapter().getStatus(payment());

    await expect(attempt).rejects.toThrow(PayPalStillProcessingError);
    await expect(attempt).rejects.toBeInstanceOf(RetryableError);
  });

  it('should hand an approved recurring checkout to a person and never charge it as a one-off', async () => {
    simulator.setCheckout(TOKEN, { payerId: PAYER, amount: fixture.gross, currency: fixture.currency, recurring: true });
    const paypal = adapter();

    const error = await paypal.getStatus(payment({ recurring: '1' })).then(() => new Error('no error'), (e: unknown) => e as Error);
    await expect(paypal.finish(payment({ recurring: 1 }), { status: 'needs-finishing' })).rejects.toThrow(PayPalNeedsPersonError);

    expect(error).toBeInstanceOf(PayPalNeedsPersonError);
    expect(leaks(`${error.message}`)).toEqual([]);
    expect(simulator.calls().map((call) => (call.body as Record<string, string>).METHOD)).toEqual(['GetExpressCheckoutDetails']);
  });

  it('should hand a checkout approved for another amount than the pending row’s to a person, never charging it', async () => {
    simulator.setCheckout(TOKEN, { payerId: PAYER, amount: '20.00', currency: fixture.currency });
    const paypal = adapter();

    const status = await paypal.getStatus(payment());

    await expect(paypal.finish(payment(), status)).rejects.toThrow(PayPalNeedsPersonError);
    expect(simulator.charges()).toEqual([]);
  });

  it('should count a Pending payment as still processing', async () => {
    simulator.setCheckout(TOKEN, { payerId: PAYER, amount: fixture.gross, currency: fixture.currency, paymentStatus: 'Pending' });
    const paypal = adapter();

    const status = await paypal.getStatus(payment());

    await expect(paypal.finish(payment(), status)).rejects.toThrow(/is Pending \(echeck\): look again later/);
  });

  it.each([
    ['still Pending', 'Pending', PayPalStillProcessingError],
    ['Denied since', 'Denied', { status: 'failed', gatewayStatus: 'Denied' }],
    ['Completed since', 'Completed', { status: 'complete', gatewayStatus: 'Completed' }],
  ] as const)('should, on the retry of a payment DoExpressCheckoutPayment left Pending, read its payment %s from GetTransactionDetails', async (_label, transactionStatus, expected) => {
    simulator.setCheckout(TOKEN, { payerId: PAYER, amount: fixture.gross, currency: fixture.currency, paymentStatus: 'Pending' });
    const first = adapter();
    await expect(first.finish(payment(), await first.getStatus(payment()))).rejects.toThrow(PayPalStillProcessingError);
    simulator.setCheckout(TOKEN, { ...simulator.checkout(TOKEN)!, transactionStatus });
    const firstRun = simulator.calls().length;

    const retry = adapter().getStatus(payment());

    if (expected === PayPalStillProcessingError) await expect(retry).rejects.toThrow(PayPalStillProcessingError);
    else await expect(retry).resolves.toEqual({ ...expected, gatewayTxnId: simulator.checkout(TOKEN)!.transactionId });
    const retried = simulator.calls().slice(firstRun);
    expect(retried.map((call) => (call.body as Record<string, string>).METHOD)).toEqual(['GetExpressCheckoutDetails', 'GetTransactionDetails']);
    expect(retried[1]!.body).toEqual({ ...credentials(), METHOD: 'GetTransactionDetails', TRANSACTIONID: simulator.checkout(TOKEN)!.transactionId });
    expect(simulator.charges()).toEqual([TOKEN]);
  });

  it('should count a DoExpressCheckoutPayment refusal (10486) as the processor refusing, without payer data in the text', async () => {
    simulator.setCheckout(TOKEN, { payerId: PAYER, amount: fixture.gross, currency: fixture.currency, doFailure: { code: '10486', shortMessage: 'This transaction couldn\'t be completed.', longMessage: 'This transaction couldn\'t be completed. Please redirect your customer to PayPal.' } });
    const paypal = adapter();

    const status = await paypal.getStatus(payment());
    const error = await paypal.finish(payment(), status).then(() => new Error('no error'), (e: unknown) => e as Error);

    expect(error).toBeInstanceOf(ProcessorResponseError);
    expect(error.message).toBe(`PayPal DoExpressCheckoutPayment for ${TOKEN} refused: 10486 This transaction couldn't be completed.`);
    expect(leaks(`${error.message} ${error.stack}`)).toEqual([]);
  });

  it('should refuse a pending row without a token or amount before calling PayPal', async () => {
    simulator.setCheckout(TOKEN, { payerId: PAYER, amount: fixture.gross, currency: fixture.currency });

    await expect(adapter().getStatus(payment({ gateway_session_id: undefined }))).rejects.toBeInstanceOf(MalformedMessageError);
    await expect(adapter().finish(payment({ gross: 'lots' }), { status: 'needs-finishing' })).rejects.toBeInstanceOf(MalformedMessageError);
    expect(simulator.calls()).toEqual([]);
  });

  it('should count NVP\'s 10001 Internal Error as temporary, an HTML page from in front of PayPal (500, 503) and a slow answer as an outage', async () => {
    simulator.setCheckout(TOKEN, { payerId: PAYER, amount: fixture.gross, currency: fixture.currency, internalError: { times: 1 } });
    await expect(adapter().getStatus(payment())).rejects.toBeInstanceOf(ProcessorTemporaryError);

    simulator.setCheckout(TOKEN, { payerId: PAYER, amount: fixture.gross, currency: fixture.currency, failure: { httpStatus: 500, times: 1 } });
    await expect(adapter().getStatus(payment())).rejects.toBeInstanceOf(InfrastructureError);

    simulator.setCheckout(TOKEN, { payerId: PAYER, amount: fixture.gross, currency: fixture.currency, failure: { httpStatus: 503, times: 1 } });
    await expect(adapter().getStatus(payment())).rejects.toBeInstanceOf(InfrastructureError);

    simulator.setCheckout(TOKEN, { payerId: PAYER, amount: fixture.gross, currency: fixture.currency, latencyMs: 1500 });
    await expect(adapter({ timeoutMs: 300 }).getStatus(payment())).rejects.toThrow('no answer within 300 ms');
  });

  it('should stop the run like an outage when PayPal refuses the API credentials (10002)', async () => {
    simulator.setCheckout(TOKEN, { payerId: PAYER, amount: fixture.gross, currency: fixture.currency });

    const attempt = adapter({ signature: 'WRONG.SIGNATURE' }).getStatus(payment());

    await expect(attempt).rejects.toThrow(PayPalAuthenticationError);
    await expect(attempt).rejects.not.toThrow('WRONG.SIGNATURE');
  });

  it('should refuse to start without all three API credentials', () => {
    expect(() => adapter({ password: undefined })).toThrow(ConfigError);
    expect(() => adapter({ password: undefined })).toThrow('PAYPAL_NVP_PASSWORD: required by the paypal-nvp adapter');
  });
});
