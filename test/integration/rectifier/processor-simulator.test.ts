import { startProcessorSimulator, type ProcessorSimulator } from '../../../scripts/processor-simulator';

describe('processor simulator', () => {
  let simulator: ProcessorSimulator;

  beforeAll(async () => {
    simulator = await startProcessorSimulator();
  });

  afterAll(async () => {
    await simulator.close();
  });

  beforeEach(() => simulator.reset());

  it('should listen on loopback only', () => {
    expect(simulator.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  });

  it('should take answers over HTTP and record the calls it serves, not the configuration calls', async () => {
    await fetch(`${simulator.url}/_simulator/orders/9.1`, { method: 'PUT', body: JSON.stringify({ statusCode: 600 }) });

    const status = await (await fetch(`${simulator.hostedPaymentUrl}/orders/9.1`)).json();
    const approved = await (await fetch(`${simulator.hostedPaymentUrl}/orders/9.1/approve`, { method: 'POST', body: '{}' })).json();
    const after = await (await fetch(`${simulator.hostedPaymentUrl}/orders/9.1`)).json();
    const calls = await (await fetch(`${simulator.url}/_simulator/calls`)).json();

    expect(status).toEqual({ order_id: '9.1', status_code: 600 });
    expect(approved).toMatchObject({ status_code: 800, gateway_txn_id: expect.stringMatching(/^SIM-/) });
    expect(after).toMatchObject({ status_code: 800 });
    expect(calls).toEqual([
      { method: 'GET', path: '/hosted-payment/orders/9.1', body: null },
      { method: 'POST', path: '/hosted-payment/orders/9.1/approve', body: {} },
      { method: 'GET', path: '/hosted-payment/orders/9.1', body: null },
    ]);
  });

  it('should answer 404 for an order or token it was not told about', async () => {
    expect((await fetch(`${simulator.hostedPaymentUrl}/orders/unknown`)).status).toBe(404);
    expect((await fetch(`${simulator.expressCheckoutUrl}/checkouts/unknown`)).status).toBe(404);
  });

  it('should answer processor calls late while a latency is set, and at once again after it is cleared', async () => {
    // Arrange
    simulator.setOrder('11.1', { statusCode: 800 });
    const timed = async () => {
      const started = Date.now();
      const response = await fetch(`${simulator.hostedPaymentUrl}/orders/11.1`);
      await response.json();
      return Date.now() - started;
    };

    // Act
    simulator.setLatency(400);
    const slow = await timed();
    simulator.setLatency(0);
    const fast = await timed();

    // Assert
    expect(slow).toBeGreaterThanOrEqual(400);
    expect(fast).toBeLessThan(400);
  });
});
