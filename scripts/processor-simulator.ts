/**
 * A payment processor simulator for tests and the local run: a small node:http server on a
 * loopback port that answers the hosted-payment and express-checkout APIs as configured, and
 * records every call it receives.
 *
 *   /hosted-payment/orders/{order_id}[/approve|/finish|/cancel]
 *   /express-checkout/checkouts/{token}[/pay]
 *
 * Configure it in-process (`setOrder`, `setCheckout`) or over HTTP (for `sls invoke local`):
 *   PUT    /_simulator/orders/{order_id}     body: OrderAnswer
 *   PUT    /_simulator/checkouts/{token}     body: CheckoutAnswer
 *   GET    /_simulator/calls                 → the recorded calls
 *   DELETE /_simulator                       → forget answers and calls
 *
 * Run standalone: `npx tsx scripts/processor-simulator.ts` (PROCESSOR_SIMULATOR_PORT, default 8391).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** How the simulated hosted-payment processor answers for one order. */
export interface OrderAnswer {
  /** The order's status code (GET answers it; approve and finish move it to 800, cancel to 99999). */
  statusCode?: number;
  gatewayTxnId?: string;
  /** Answer every call for this order with this HTTP status and error text instead. */
  error?: { httpStatus: number; message: string };
}

/** How the simulated express-checkout processor answers for one token. */
export interface CheckoutAnswer {
  checkoutStatus?: 'PaymentActionNotInitiated' | 'PaymentActionInProgress' | 'PaymentActionCompleted' | 'PaymentActionFailed';
  /** The token has expired: every call answers HTTP 410. */
  expired?: boolean;
  gatewayTxnId?: string;
  error?: { httpStatus: number; message: string };
}

export interface RecordedCall {
  method: string;
  /** Path without the query string. */
  path: string;
  body: unknown;
}

export interface ProcessorSimulator {
  /** http://127.0.0.1:PORT */
  url: string;
  port: number;
  /** Base URLs to configure the adapters with. */
  hostedPaymentUrl: string;
  expressCheckoutUrl: string;
  setOrder(orderId: string, answer: OrderAnswer): void;
  setCheckout(token: string, answer: CheckoutAnswer): void;
  /** Delays every processor answer by `ms` from now on (0: answer at once), as a slow processor does. */
  setLatency(ms: number): void;
  /** Every call received so far, in order (configuration calls excluded). */
  calls(): RecordedCall[];
  reset(): void;
  close(): Promise<void>;
}

/** Starts the simulator on 127.0.0.1 (`port` 0: any free port). */
export async function startProcessorSimulator({ port = 0 }: { port?: number } = {}): Promise<ProcessorSimulator> {
  const orders = new Map<string, OrderAnswer>();
  const checkouts = new Map<string, CheckoutAnswer>();
  let calls: RecordedCall[] = [];
  let txnSequence = 0;
  let latencyMs = 0;
  const nextTxn = () => `SIM-${Date.now()}-${++txnSequence}`;

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const path = (req.url ?? '/').split('?')[0]!;
      const method = req.method ?? 'GET';
      const text = Buffer.concat(chunks).toString('utf8');
      let body: unknown = null;
      try {
        body = text === '' ? null : JSON.parse(text);
      } catch {
        body = text;
      }
      const send = (status: number, answer: unknown) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(answer));
      };
      const parts = path.split('/').filter(Boolean).map(decodeURIComponent);

      if (parts[0] === '_simulator') {
        if (method === 'GET' && parts[1] === 'calls') return send(200, calls);
        if (method === 'DELETE' && parts.length === 1) {
          orders.clear();
          checkouts.clear();
          calls = [];
          return send(200, {});
        }
        if (method === 'PUT' && parts[1] === 'orders' && parts[2]) {
          orders.set(parts[2], body as OrderAnswer);
          return send(200, {});
        }
        if (method === 'PUT' && parts[1] === 'checkouts' && parts[2]) {
          checkouts.set(parts[2], body as CheckoutAnswer);
          return send(200, {});
        }
        return send(404, { error: 'unknown simulator command' });
      }

      calls.push({ method, path, body });
      if (latencyMs > 0) {
        setTimeout(() => answerProcessorCall(parts, method, send), latencyMs);
        return;
      }
      answerProcessorCall(parts, method, send);
    });
  });

  /** The processor's answer to one call (configuration calls are answered before). */
  const answerProcessorCall = (parts: string[], method: string, send: (status: number, answer: unknown) => void): void => {
    if (parts[0] === 'hosted-payment' && parts[1] === 'orders' && parts[2]) {
      const order = orders.get(parts[2]);
      if (!order) return send(404, { error: 'unknown order' });
      if (order.error) return send(order.error.httpStatus, { error: order.error.message });
      const action = parts[3];
      if (method === 'GET' && action === undefined) {
        return send(200, { order_id: parts[2], status_code: order.statusCode ?? 0, ...(order.gatewayTxnId ? { gateway_txn_id: order.gatewayTxnId } : {}) });
      }
      if (method === 'POST' && (action === 'approve' || action === 'finish')) {
        order.statusCode = 800;
        order.gatewayTxnId ??= nextTxn();
        return send(200, { order_id: parts[2], status_code: 800, gateway_txn_id: order.gatewayTxnId });
      }
      if (method === 'POST' && action === 'cancel') {
        order.statusCode = 99999;
        return send(200, { order_id: parts[2], status_code: 99999 });
      }
      return send(404, { error: 'unknown hosted-payment call' });
    }

    if (parts[0] === 'express-checkout' && parts[1] === 'checkouts' && parts[2]) {
      const checkout = checkouts.get(parts[2]);
      if (!checkout) return send(404, { error: 'unknown token' });
      if (checkout.error) return send(checkout.error.httpStatus, { error: checkout.error.message });
      if (checkout.expired) return send(410, { error: 'token expired' });
      const action = parts[3];
      if (method === 'GET' && action === undefined) {
        return send(200, {
          token: parts[2],
          checkout_status: checkout.checkoutStatus ?? 'PaymentActionNotInitiated',
          ...(checkout.gatewayTxnId ? { gateway_txn_id: checkout.gatewayTxnId } : {}),
        });
      }
      if (method === 'POST' && action === 'pay') {
        checkout.checkoutStatus = 'PaymentActionCompleted';
        checkout.gatewayTxnId ??= nextTxn();
        return send(200, { payment_status: 'Completed', gateway_txn_id: checkout.gatewayTxnId });
      }
      return send(404, { error: 'unknown express-checkout call' });
    }

    return send(404, { error: 'unknown path' });
  };

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const actualPort = (server.address() as AddressInfo).port;
  const url = `http://127.0.0.1:${actualPort}`;
  return {
    url,
    port: actualPort,
    hostedPaymentUrl: `${url}/hosted-payment`,
    expressCheckoutUrl: `${url}/express-checkout`,
    setOrder: (orderId, answer) => orders.set(orderId, { ...answer }),
    setCheckout: (token, answer) => checkouts.set(token, { ...answer }),
    setLatency: (ms) => {
      latencyMs = ms;
    },
    calls: () => calls.map((call) => ({ ...call })),
    reset: () => {
      orders.clear();
      checkouts.clear();
      calls = [];
      latencyMs = 0;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

if (require.main === module) {
  const port = Number(process.env.PROCESSOR_SIMULATOR_PORT ?? 8391);
  startProcessorSimulator({ port })
    .then((simulator) => {
      process.stdout.write(`processor simulator listening on ${simulator.url}\n`);
      const stop = () => void simulator.close().then(() => process.exit(0));
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
    })
    .catch((error: unknown) => {
      process.stderr.write(`processor simulator could not start: ${String(error)}\n`);
      process.exit(1);
    });
}
