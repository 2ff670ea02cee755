import { readFileSync } from 'node:fs';
import path from 'node:path';
import { PayPalNeedsPersonError, PayPalStillProcessingError } from '../../../lib/rectifier/paypal-common';
import { nvpCheckoutStatus, nvpPaymentStatus, PayPalNvpAdapter } from '../../../lib/rectifier/paypal-nvp-adapter';
import { nvpFailure, parseNvp } from '../../../lib/rectifier/paypal-nvp-client';
import { ProcessorResponseError, type OrphanPayment } from '../../../lib/rectifier/processor-adapter';

const FIXTURES = path.resolve(__dirname, '../../../fixtures/paypal');
const example = (name: string) => readFileSync(path.join(FIXTURES, name), 'utf8');
const TOKEN = 'EC-7TX14536XK3290544';
const PAYER_DATA = ['payer.example@example.com', 'Fulano', 'Exemplo', 'QYR5Z8XDVJNXQ'];

describe('nvpCheckoutStatus', () => {
  const completedPayment = parseNvp(example('nvp-get-transaction-details-completed.txt'));

  it.each([
    ['an approved checkout (PAYERID, PaymentActionNotInitiated)', 'nvp-get-details-approved.txt', { status: 'needs-finishing', gatewayStatus: 'PaymentActionNotInitiated' }],
    ['a checkout never approved (no PAYERID)', 'nvp-get-details-not-approved.txt', { status: 'discard', gatewayStatus: 'not-approved' }],
    ['a completed checkout whose payment is Completed', 'nvp-get-details-completed.txt', { status: 'complete', gatewayStatus: 'Completed', gatewayTxnId: '8DN02117BK123456X' }],
  ])('should read %s', (_label, file, expected) => {
    expect(nvpCheckoutStatus(parseNvp(example(file)), { recurring: false, transaction: completedPayment })).toEqual(expected);
  });

  it('should not take PaymentActionCompleted for money taken: its payment may still be Pending', () => {
    const details = parseNvp(example('nvp-get-details-completed.txt'));
    const pending = parseNvp(example('nvp-get-transaction-details-pending.txt'));

    const attempt = () => nvpCheckoutStatus(details, { recurring: false, transaction: pending });

    expect(attempt).toThrow(PayPalStillProcessingError);
    expect(attempt).toThrow('PayPal payment 8DN02117BK123456X is Pending (echeck): look again later');
    expect(() => nvpCheckoutStatus(details, { recurring: false })).toThrow(ProcessorResponseError);
    expect(() => nvpCheckoutStatus({ ...details, PAYMENTREQUEST_0_TRANSACTIONID: '' }, { recurring: false, transaction: pending })).toThrow(PayPalNeedsPersonError);
  });

  it('should read PaymentActionFailed as failed and PaymentActionInProgress as still processing', () => {
    const answer = parseNvp(example('nvp-get-details-approved.txt'));

    expect(nvpCheckoutStatus({ ...answer, CHECKOUTSTATUS: 'PaymentActionFailed' }, { recurring: false })).toEqual({ status: 'failed', gatewayStatus: 'PaymentActionFailed' });
    expect(() => nvpCheckoutStatus({ ...answer, CHECKOUTSTATUS: 'PaymentActionInProgress' }, { recurring: false })).toThrow(PayPalStillProcessingError);
    expect(() => nvpCheckoutStatus({ ...answer, CHECKOUTSTATUS: 'Invented' }, { recurring: false })).toThrow(ProcessorResponseError);
  });

  it('should hand an approved recurring checkout to a person, without payer data in the text', () => {
    const attempt = () => nvpCheckoutStatus(parseNvp(example('nvp-get-details-approved.txt')), { recurring: true });

    expect(attempt).toThrow(PayPalNeedsPersonError);
    expect(attempt).toThrow(`PayPal checkout ${TOKEN} is an approved recurring donation`);
    expect(attempt).not.toThrow(/QYR5Z8XDVJNXQ|Fulano|example\.com/);
  });

  it('should push a recurring checkout PayPal already completed and discard one never approved', () => {
    expect(nvpCheckoutStatus(parseNvp(example('nvp-get-details-completed.txt')), { recurring: true, transaction: completedPayment })).toMatchObject({ status: 'complete' });
    expect(nvpCheckoutStatus(parseNvp(example('nvp-get-details-not-approved.txt')), { recurring: true })).toMatchObject({ status: 'discard' });
  });

  it('should read a failure answer’s first error code and texts', () => {
    expect(nvpFailure(parseNvp(example('nvp-get-details-expired.txt')))).toEqual({
      code: '10411',
      shortMessage: 'This Express Checkout session has expired.',
      longMessage: 'This Express Checkout session has expired.  Token value is no longer valid.',
    });
  });
});

describe('nvpPaymentStatus', () => {
  const transaction = (PAYMENTSTATUS: string) => ({ ...parseNvp(example('nvp-get-transaction-details-completed.txt')), PAYMENTSTATUS });

  it.each([
    ['Completed', 'complete'],
    ['Processed', 'complete'],
    ['Denied', 'failed'],
    ['Failed', 'failed'],
    ['Expired', 'failed'],
    ['Voided', 'failed'],
    ['Refunded', 'refunded'],
    ['Reversed', 'refunded'],
  ])('should read PAYMENTSTATUS %s as %s', (paymentStatus, status) => {
    expect(nvpPaymentStatus(transaction(paymentStatus))).toEqual({ status, gatewayStatus: paymentStatus, gatewayTxnId: '8DN02117BK123456X' });
  });

  it('should look again later at Pending and In-Progress, leave partial refunds and cancelled reversals to a person, refuse the unknown', () => {
    expect(() => nvpPaymentStatus(transaction('Pending'))).toThrow(PayPalStillProcessingError);
    expect(() => nvpPaymentStatus(transaction('In-Progress'))).toThrow(PayPalStillProcessingError);
    expect(() => nvpPaymentStatus(transaction('Partially-Refunded'))).toThrow(PayPalNeedsPersonError);
    expect(() => nvpPaymentStatus(transaction('Canceled-Reversal'))).toThrow(PayPalNeedsPersonError);
    expect(() => nvpPaymentStatus(transaction('None'))).toThrow(ProcessorResponseError);
  });

  it('should put no payer data in its texts', () => {
    const attempt = () => nvpPaymentStatus(transaction('Pending'));

    expect(attempt).not.toThrow(new RegExp(PAYER_DATA.join('|').replace(/\./g, '\\.')));
  });
});

describe('PayPalNvpAdapter with PayPal’s documented examples', () => {
  let answers: string[];
  let sent: Array<{ url: string; method: string; headers: Record<string, string>; fields: Record<string, string> }>;
  let fetchSpy: jest.SpyInstance;

  beforeEach(() => {
    answers = [];
    sent = [];
    fetchSpy = jest.spyOn(globalThis, 'fetch').mockImplementation(async (input, init) => {
      sent.push({
        url: String(input),
        method: init?.method ?? 'GET',
        headers: init?.headers as Record<string, string>,
        fields: Object.fromEntries(new URLSearchParams(String(init?.body))),
      });
      return new Response(answers.shift() ?? 'ACK=Failure&L_ERRORCODE0=10001', { status: 200, headers: { 'content-type': 'text/plain' } });
    });
  });

  afterEach(() => fetchSpy.mockRestore());

  const adapter = () =>
    new PayPalNvpAdapter({ url: 'https://api-3t.paypal.com/nvp', user: 'merchant_api1.example.org', password: 'PWD123', signature: 'SIG.456', version: '204.0', timeoutMs: 1000 });
  const payment = (extra: Record<string, unknown> = {}): OrphanPayment => ({
    gateway: 'paypal_ec',
    orderId: '48213377.1',
    gatewayTxnId: null,
    message: { gateway: 'paypal_ec', order_id: '48213377.1', gross: '25.00', currency: 'BRL', gateway_session_id: TOKEN, ...extra },
  });
  const credentials = { USER: 'merchant_api1.example.org', PWD: 'PWD123', SIGNATURE: 'SIG.456', VERSION: '204.0' };

  it('should POST the documented form fields and pay with the payer id it read, once', async () => {
    answers.push(example('nvp-get-details-approved.txt'), example('nvp-do-payment-completed.txt'));
    const paypal = adapter();
    const orphan = payment();

    const status = await paypal.getStatus(orphan);
    const completion = await paypal.finish(orphan, status);

    expect(completion).toEqual({ gatewayTxnId: '8DN02117BK123456X', gatewayStatus: 'Completed' });
    expect(sent.map(({ url, method, headers }) => [url, method, headers['content-type']])).toEqual([
      ['https://api-3t.paypal.com/nvp', 'POST', 'application/x-www-form-urlencoded'],
      ['https://api-3t.paypal.com/nvp', 'POST', 'application/x-www-form-urlencoded'],
    ]);
    expect(sent.map((request) => request.fields)).toEqual([
      { ...credentials, METHOD: 'GetExpressCheckoutDetails', TOKEN },
      {
        ...credentials,
        METHOD: 'DoExpressCheckoutPayment',
        TOKEN,
        PAYERID: 'QYR5Z8XDVJNXQ',
        PAYMENTREQUEST_0_AMT: '25.00',
        PAYMENTREQUEST_0_CURRENCYCODE: 'BRL',
        PAYMENTREQUEST_0_PAYMENTACTION: 'Sale',
        PAYMENTREQUEST_0_INVNUM: '48213377.1',
      },
    ]);
    expect(PAYER_DATA.filter((value) => JSON.stringify(status).includes(value) || JSON.stringify(completion).includes(value))).toEqual([]);
  });

  it('should read a duplicate refusal (10415) as the payment already made', async () => {
    answers.push(
      example('nvp-get-details-approved.txt'),
      example('nvp-do-payment-duplicate.txt'),
      example('nvp-get-details-completed.txt'),
      example('nvp-get-transaction-details-completed.txt'),
    );
    const paypal = adapter();
    const orphan = payment();

    await paypal.getStatus(orphan);
    const completion = await paypal.finish(orphan);

    expect(completion).toEqual({ gatewayTxnId: '8DN02117BK123456X', gatewayStatus: 'Completed' });
    expect(sent.map((request) => request.fields.METHOD)).toEqual(['GetExpressCheckoutDetails', 'DoExpressCheckoutPayment', 'GetExpressCheckoutDetails', 'GetTransactionDetails']);
    expect(sent[3]!.fields).toEqual({ ...credentials, METHOD: 'GetTransactionDetails', TRANSACTIONID: '8DN02117BK123456X' });
  });

  it('should not report a duplicate refusal as paid while the payment it duplicates is Pending', async () => {
    answers.push(
      example('nvp-get-details-approved.txt'),
      example('nvp-do-payment-duplicate.txt'),
      example('nvp-get-details-completed.txt'),
      example('nvp-get-transaction-details-pending.txt'),
    );
    const paypal = adapter();
    const orphan = payment();

    await paypal.getStatus(orphan);

    await expect(paypal.finish(orphan)).rejects.toThrow(PayPalStillProcessingError);
  });

  it('should discard an expired token (10411)', async () => {
    answers.push(example('nvp-get-details-expired.txt'));

    await expect(adapter().getStatus(payment())).resolves.toEqual({ status: 'discard', gatewayStatus: 'token-expired' });
  });

  it('should read the payer id again when finish is called without a status read first', async () => {
    answers.push(example('nvp-get-details-approved.txt'), example('nvp-do-payment-completed.txt'));

    await adapter().finish(payment());

    expect(sent.map((request) => request.fields.METHOD)).toEqual(['GetExpressCheckoutDetails', 'DoExpressCheckoutPayment']);
    expect(sent[1]!.fields.PAYERID).toBe('QYR5Z8XDVJNXQ');
  });
});
