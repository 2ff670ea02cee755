import { startPayPalSimulator, type PayPalSimulator } from '../../../scripts/simulators/paypal';

describe('PayPal simulator', () => {
  let simulator: PayPalSimulator;

  beforeAll(async () => {
    simulator = await startPayPalSimulator();
  });

  afterAll(async () => {
    await simulator.close();
  });

  beforeEach(() => simulator.reset());

  const nvp = async (fields: Record<string, string>) => {
    const response = await fetch(simulator.nvpUrl, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(fields).toString() });
    return Object.fromEntries(new URLSearchParams(await response.text()));
  };
  const credentials = () => ({ USER: simulator.credentials.nvpUser, PWD: simulator.credentials.nvpPassword, SIGNATURE: simulator.credentials.nvpSignature, VERSION: '204.0' });

  it('should listen on loopback only', () => {
    expect(simulator.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  });

  it('should answer an order call without a valid bearer token with 401 AUTHENTICATION_FAILURE', async () => {
    simulator.setOrder('5O190127TN364715T', { status: 'APPROVED' });

    const response = await fetch(`${simulator.url}/v2/checkout/orders/5O190127TN364715T`, { headers: { authorization: 'Bearer made-up' } });

    expect(response.status).toBe(401);
    expect(await response.json()).toMatchObject({ name: 'AUTHENTICATION_FAILURE', message: expect.any(String) });
  });

  it('should answer wrong client credentials with OAuth invalid_client', async () => {
    const response = await fetch(`${simulator.url}/v1/oauth2/token`, {
      method: 'POST',
      headers: { authorization: `Basic ${Buffer.from('who:what').toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: 'grant_type=client_credentials',
    });

    expect(response.status).toBe(401);
    expect(await response.json()).toEqual({ error: 'invalid_client', error_description: 'Client Authentication failed' });
  });

  it('should answer NVP calls with bad credentials 10002 and unknown methods 81002, in NVP error shape', async () => {
    expect(await nvp({ ...credentials(), SIGNATURE: 'wrong', METHOD: 'GetExpressCheckoutDetails', TOKEN: 'EC-1' })).toMatchObject({
      ACK: 'Failure',
      L_ERRORCODE0: '10002',
      L_SHORTMESSAGE0: 'Security error',
      L_LONGMESSAGE0: 'Security header is not valid',
      L_SEVERITYCODE0: 'Error',
    });
    expect(await nvp({ ...credentials(), METHOD: 'SetExpressCheckout' })).toMatchObject({ ACK: 'Failure', L_ERRORCODE0: '81002' });
  });

  it('should take scenarios over HTTP and record the calls it serves, not the configuration calls', async () => {
    await fetch(`${simulator.url}/_simulator/checkouts/EC-9`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ payerId: 'PAYER9' }) });

    const details = await nvp({ ...credentials(), METHOD: 'GetExpressCheckoutDetails', TOKEN: 'EC-9' });
    const calls = (await (await fetch(`${simulator.url}/_simulator/calls`)).json()) as Array<{ path: string }>;

    expect(details).toMatchObject({ ACK: 'Success', TOKEN: 'EC-9', CHECKOUTSTATUS: 'PaymentActionNotInitiated', PAYERID: 'PAYER9' });
    expect(calls.map((call) => call.path)).toEqual(['/nvp']);
  });
});
