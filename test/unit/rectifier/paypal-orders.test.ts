import { readFileSync } from 'node:fs';
import path from 'node:path';
import { PayPalNeedsPersonError, PayPalStillProcessingError } from '../../../lib/rectifier/paypal-common';
import { captureRequestId, PayPalOrdersAdapter, paypalOrderStatus, type OrderView } from '../../../lib/rectifier/paypal-orders-adapter';
import { ProcessorResponseError, type OrphanPayment } from '../../../lib/rectifier/processor-adapter';

const FIXTURES = path.resolve(__dirname, '../../../fixtures/paypal');
const example = (name: string) => readFileSync(path.join(FIXTURES, name), 'utf8');
const ORDER = '5O190127TN364715T';
/** Payer data in the examples: none of it may reach a result or an error. */
const PAYER_DATA = ['payer.example@example.com', 'Fulano', 'Exemplo', 'QYR5Z8XDVJNXQ'];

describe('paypalOrderStatus', () => {
  const order = (status: string, extra: Partial<OrderView> = {}): OrderView => ({ id: ORDER, status, intent: 'CAPTURE', ...extra });
  const authorized = (status: string): OrderView =>
    order('COMPLETED', { intent: 'AUTHORIZE', purchaseUnits: [{ payments: { authorizations: [{ id: '0AW2184448108334S', status }] } }] });
  const captured = (status: string): OrderView => order('COMPLETED', { purchaseUnits: [{ payments: { captures: [{ id: '3C679366HH908993F', status }] } }] });

  it.each([
    ['CREATED', order('CREATED'), { status: 'discard', gatewayStatus: 'CREATED' }],
    ['PAYER_ACTION_REQUIRED', order('PAYER_ACTION_REQUIRED'), { status: 'discard', gatewayStatus: 'PAYER_ACTION_REQUIRED' }],
    ['APPROVED', order('APPROVED'), { status: 'needs-finishing', gatewayStatus: 'APPROVED' }],
    ['VOIDED', order('VOIDED'), { status: 'cancelled', gatewayStatus: 'VOIDED' }],
    ['COMPLETED with a COMPLETED capture', captured('COMPLETED'), { status: 'complete', gatewayStatus: 'COMPLETED', gatewayTxnId: '3C679366HH908993F' }],
    ['COMPLETED with a DECLINED capture', captured('DECLINED'), { status: 'failed', gatewayStatus: 'DECLINED', gatewayTxnId: '3C679366HH908993F' }],
    ['COMPLETED with a FAILED capture', captured('FAILED'), { status: 'failed', gatewayStatus: 'FAILED', gatewayTxnId: '3C679366HH908993F' }],
    ['COMPLETED with a REFUNDED capture', captured('REFUNDED'), { status: 'refunded', gatewayStatus: 'REFUNDED', gatewayTxnId: '3C679366HH908993F' }],
    ['APPROVED with intent AUTHORIZE', order('APPROVED', { intent: 'AUTHORIZE' }), { status: 'needs-finishing', gatewayStatus: 'APPROVED' }],
    ['COMPLETED with an authorization CREATED (not captured)', authorized('CREATED'), { status: 'needs-finishing', gatewayStatus: 'AUTHORIZED' }],
    ['COMPLETED with an authorization DENIED', authorized('DENIED'), { status: 'failed', gatewayStatus: 'DENIED' }],
    ['COMPLETED with an authorization VOIDED', authorized('VOIDED'), { status: 'cancelled', gatewayStatus: 'VOIDED' }],
  ])('should map an order %s to its rectifier status', (_label, view, expected) => {
    expect(paypalOrderStatus(view, { recurring: false })).toEqual(expected);
  });

  it.each([
    ['SAVED', order('SAVED'), PayPalNeedsPersonError],
    ['COMPLETED with a PENDING authorization', authorized('PENDING'), PayPalStillProcessingError],
    ['COMPLETED with a PARTIALLY_REFUNDED capture', captured('PARTIALLY_REFUNDED'), PayPalNeedsPersonError],
    ['COMPLETED with a PENDING capture', captured('PENDING'), PayPalStillProcessingError],
    ['COMPLETED without any capture', order('COMPLETED'), ProcessorResponseError],
    ['in a status PayPal does not document', order('ARCHIVED'), ProcessorResponseError],
  ])('should throw for an order %s instead of guessing', (_label, view, errorClass) => {
    expect(() => paypalOrderStatus(view, { recurring: false })).toThrow(errorClass);
  });

  it('should refuse to capture an order approved for another amount or currency than the pending row’s', () => {
    const approved = order('APPROVED', { purchaseUnits: [{ amount: { currencyCode: 'BRL', value: '25.00' } }] });

    expect(paypalOrderStatus(approved, { recurring: false, amount: { value: '25', currency: 'BRL' } })).toMatchObject({ status: 'needs-finishing' });
    expect(() => paypalOrderStatus(approved, { recurring: false, amount: { value: '30.00', currency: 'BRL' } })).toThrow(PayPalNeedsPersonError);
    expect(() => paypalOrderStatus(approved, { recurring: false, amount: { value: '25.00', currency: 'EUR' } })).toThrow(PayPalNeedsPersonError);
  });

  it('should never let an approved recurring donation be captured, but push one PayPal already captured', () => {
    expect(() => paypalOrderStatus(order('APPROVED'), { recurring: true })).toThrow(PayPalNeedsPersonError);
    expect(paypalOrderStatus(captured('COMPLETED'), { recurring: true })).toMatchObject({ status: 'complete' });
  });

  it('should derive the same PayPal-Request-Id on every attempt, within PayPal’s 108 characters', () => {
    expect(captureRequestId(ORDER)).toBe(captureRequestId(ORDER));
    expect(captureRequestId(ORDER)).toBe('rectify-capture-5O190127TN364715T');
    expect(captureRequestId('X'.repeat(200))).toHaveLength(108);
  });
});

interface SeenRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  data: unknown;
}

describe('PayPalOrdersAdapter with PayPal’s documented examples', () => {
  /**
   * An adapter whose SDK talks to an in-process axios adapter: `answers` by "METHOD path", each
   * a status and a fixture body; every request the SDK makes is recorded.
   */
  function adapterAnswering(answers: Record<string, Array<[number, string]>>, baseUrl = 'https://api-m.sandbox.paypal.com') {
    const seen: SeenRequest[] = [];
    const transport = async (config: { method?: string; url?: string; headers?: { toJSON?: () => Record<string, string> }; data?: unknown }) => {
      const url = new URL(config.url ?? '');
      const method = (config.method ?? 'get').toUpperCase();
      const headers = Object.fromEntries(Object.entries(config.headers?.toJSON?.() ?? {}).map(([k, v]) => [k.toLowerCase(), String(v)]));
      seen.push({ method, url: url.href, headers, data: config.data ?? null });
      const queue = answers[`${method} ${url.pathname}`];
      const [status, body] = queue?.shift() ?? [404, example('orders-error-not-found.json')];
      return { data: body, status, statusText: String(status), headers: { 'content-type': 'application/json' }, config, request: {} };
    };
    const adapter = new PayPalOrdersAdapter({ baseUrl, clientId: 'client-id', clientSecret: 'client-secret', timeoutMs: 1000, httpClientOverrides: { adapter: transport } });
    return { adapter, seen };
  }

  const payment = (extra: Record<string, unknown> = {}): OrphanPayment => ({
    gateway: 'paypal',
    orderId: '48213377.1',
    gatewayTxnId: null,
    message: { gateway: 'paypal', order_id: '48213377.1', gross: '25.00', currency: 'BRL', gateway_session_id: ORDER, ...extra },
  });
  const token = (): [number, string] => [200, example('oauth-token.json')];

  it('should take a token with client credentials, then read an approved order with it', async () => {
    const { adapter, seen } = adapterAnswering({ 'POST /v1/oauth2/token': [token()], [`GET /v2/checkout/orders/${ORDER}`]: [[200, example('orders-get-approved.json')]] });

    const status = await adapter.getStatus(payment());

    expect(status).toEqual({ status: 'needs-finishing', gatewayStatus: 'APPROVED' });
    expect(seen.map(({ method, url }) => `${method} ${url}`)).toEqual([
      'POST https://api-m.sandbox.paypal.com/v1/oauth2/token',
      // The SDK always ends a GET with its (here empty) query string.
      `GET https://api-m.sandbox.paypal.com/v2/checkout/orders/${ORDER}?`,
    ]);
    expect(seen[0]!.headers.authorization).toBe(`Basic ${Buffer.from('client-id:client-secret').toString('base64')}`);
    expect(seen[0]!.data).toBe('grant_type=client_credentials');
    expect(seen[1]!.headers.authorization).toBe('Bearer A21AAExampleAccessToken0123456789');
  });

  it('should send live requests to api-m.paypal.com when configured with the live base URL', async () => {
    const { adapter, seen } = adapterAnswering({ 'POST /v1/oauth2/token': [token()], [`GET /v2/checkout/orders/${ORDER}`]: [[200, example('orders-get-approved.json')]] }, 'https://api-m.paypal.com');

    await adapter.getStatus(payment());

    expect(seen.map((request) => new URL(request.url).host)).toEqual(['api-m.paypal.com', 'api-m.paypal.com']);
  });

  it('should capture with PayPal-Request-Id and Prefer: return=representation and report the capture id', async () => {
    const { adapter, seen } = adapterAnswering({ 'POST /v1/oauth2/token': [token()], [`POST /v2/checkout/orders/${ORDER}/capture`]: [[201, example('orders-capture-completed.json')]] });

    const completion = await adapter.finish(payment());

    expect(completion).toEqual({ gatewayTxnId: '3C679366HH908993F', gatewayStatus: 'COMPLETED' });
    const capture = seen[1]!;
    expect(capture.method).toBe('POST');
    expect(capture.url).toBe(`https://api-m.sandbox.paypal.com/v2/checkout/orders/${ORDER}/capture`);
    expect(capture.headers).toMatchObject({ 'paypal-request-id': `rectify-capture-${ORDER}`, prefer: 'return=representation', 'content-type': 'application/json' });
    expect(PAYER_DATA.filter((value) => JSON.stringify(completion).includes(value))).toEqual([]);
  });

  it('should read ORDER_ALREADY_CAPTURED as the existing capture, read back from the order', async () => {
    const { adapter, seen } = adapterAnswering({
      'POST /v1/oauth2/token': [token()],
      [`POST /v2/checkout/orders/${ORDER}/capture`]: [[422, example('orders-error-already-captured.json')]],
      [`GET /v2/checkout/orders/${ORDER}`]: [[200, example('orders-capture-completed.json')]],
    });

    await expect(adapter.finish(payment())).resolves.toEqual({ gatewayTxnId: '3C679366HH908993F', gatewayStatus: 'COMPLETED' });
    expect(seen.map((request) => request.method)).toEqual(['POST', 'POST', 'GET']);
  });

  it('should discard an order PayPal answers 404 RESOURCE_NOT_FOUND for', async () => {
    const { adapter } = adapterAnswering({ 'POST /v1/oauth2/token': [token()] });

    await expect(adapter.getStatus(payment())).resolves.toEqual({ status: 'discard', gatewayStatus: 'RESOURCE_NOT_FOUND' });
  });

  it('should name PayPal’s error and debug_id in a refusal, and no payer data', async () => {
    const body = JSON.stringify({ ...JSON.parse(example('orders-error-already-captured.json')), details: [{ issue: 'PAYER_CANNOT_PAY', description: 'payer.example@example.com cannot pay' }] });
    const { adapter } = adapterAnswering({ 'POST /v1/oauth2/token': [token()], [`POST /v2/checkout/orders/${ORDER}/capture`]: [[422, body]] });

    const error = await adapter.finish(payment()).then(() => new Error('no error'), (e: unknown) => e as Error);

    expect(error).toBeInstanceOf(ProcessorResponseError);
    expect(error.message).toBe(`PayPal capture order ${ORDER}: HTTP 422 (UNPROCESSABLE_ENTITY, PAYER_CANNOT_PAY, debug_id f6e3d2c1b0a98)`);
    expect(PAYER_DATA.filter((value) => `${error.message}${error.stack}`.includes(value))).toEqual([]);
  });
});
