/**
 * A PayPal simulator for tests and the local run: a node:http server on a loopback port that
 * speaks the two real PayPal APIs the rectifier's PayPal adapters use, on their documented
 * paths, driven by scenario data, and records every call it receives.
 *
 *   REST (Orders v2):  POST /v1/oauth2/token                  client credentials (HTTP Basic)
 *                      GET  /v2/checkout/orders/{id}          Bearer token
 *                      POST /v2/checkout/orders/{id}/capture  Bearer token, PayPal-Request-Id, Prefer
 *                      POST /v2/checkout/orders/{id}/authorize (intent AUTHORIZE), same headers
 *                      POST /v2/payments/authorizations/{id}/capture, same headers
 *   NVP (classic):     POST /nvp  METHOD=GetExpressCheckoutDetails | DoExpressCheckoutPayment
 *                      | GetTransactionDetails (TRANSACTIONID: a checkout's payment, its
 *                      PAYMENTSTATUS), USER/PWD/SIGNATURE/VERSION in the form body
 *
 * Error answers have PayPal's documented shapes: REST `{ name, message, debug_id, details[] }`
 * (OAuth: `{ error, error_description }`), NVP `ACK=Failure&L_ERRORCODE0=…&L_SHORTMESSAGE0=…
 * &L_LONGMESSAGE0=…&L_SEVERITYCODE0=Error`. A capture with a PayPal-Request-Id already seen is
 * answered with the first answer again (PayPal's idempotency), not captured twice.
 *
 * Configure it in-process (`setOrder`, `setCheckout`) or over HTTP (for `sls invoke local`):
 *   PUT    /_simulator/orders/{id}        body: OrderScenario
 *   PUT    /_simulator/checkouts/{token}  body: CheckoutScenario
 *   GET    /_simulator/calls              → the recorded calls
 *   DELETE /_simulator                    → forget scenarios, tokens and calls
 *
 * Run standalone: `npx tsx scripts/simulators/paypal.ts` (PAYPAL_SIMULATOR_PORT, default 8392;
 * credentials PAYPAL_ORDERS_CLIENT_ID/SECRET and PAYPAL_NVP_USER/PASSWORD/SIGNATURE, default
 * the SIMULATOR_CREDENTIALS below).
 */
import http from 'node:http';
import { listenOnLoopback, runStandalone } from './common';

/** A failure the simulator answers instead of the call (for `times` calls; default every call). */
export interface SimulatedFailure {
  httpStatus: number;
  times?: number;
}

/** How one REST order behaves. */
export interface OrderScenario {
  status: 'CREATED' | 'SAVED' | 'APPROVED' | 'VOIDED' | 'COMPLETED' | 'PAYER_ACTION_REQUIRED';
  intent?: 'CAPTURE' | 'AUTHORIZE';
  amount?: { currency_code: string; value: string };
  /** The authorization of an authorize-intent order (set by an authorize call, or given). */
  authorization?: { id: string; status: 'CREATED' | 'CAPTURED' | 'DENIED' | 'PARTIALLY_CAPTURED' | 'VOIDED' | 'PENDING' };
  /** The existing capture of a COMPLETED order. */
  capture?: { id: string; status: 'COMPLETED' | 'DECLINED' | 'PARTIALLY_REFUNDED' | 'PENDING' | 'REFUNDED' | 'FAILED' };
  /** What a capture of an APPROVED order does (default COMPLETED); INSTRUMENT_DECLINED answers 422. */
  captureOutcome?: 'COMPLETED' | 'PENDING' | 'DECLINED' | 'INSTRUMENT_DECLINED';
  /** Milliseconds before each answer about this order. */
  latencyMs?: number;
  failure?: SimulatedFailure;
  /** Perform the capture, then close the connection without answering (a lost reply). */
  loseCaptureReply?: boolean;
}

/** How one NVP Express Checkout token behaves. */
export interface CheckoutScenario {
  checkoutStatus?: 'PaymentActionNotInitiated' | 'PaymentActionFailed' | 'PaymentActionInProgress' | 'PaymentActionCompleted';
  /** Set once the donor approved (GetExpressCheckoutDetails returns it as PAYERID). */
  payerId?: string;
  amount?: string;
  currency?: string;
  transactionId?: string;
  /** Every call for the token answers 10411 (session expired). */
  expired?: boolean;
  /** What DoExpressCheckoutPayment reports as PAYMENTINFO_0_PAYMENTSTATUS (default Completed). */
  paymentStatus?: 'Completed' | 'Pending';
  /**
   * What GetTransactionDetails reports as PAYMENTSTATUS for the checkout's transaction later
   * (default: `paymentStatus`, else Completed): a Pending payment that completed or failed since.
   */
  transactionStatus?: 'Completed' | 'Pending' | 'Denied' | 'Failed' | 'Refunded' | 'Reversed' | 'Partially-Refunded';
  /** A billing agreement (recurring) checkout. */
  recurring?: boolean;
  latencyMs?: number;
  /** An HTTP failure answered with an HTML page, as PayPal's edge in front of the NVP API answers one. */
  failure?: SimulatedFailure;
  /** Answer the next calls for the token (`times`, default every call) with NVP's own 10001 Internal Error (HTTP 200, ACK=Failure). */
  internalError?: { times?: number };
  /** Answer DoExpressCheckoutPayment with this NVP error instead. */
  doFailure?: { code: string; shortMessage: string; longMessage: string };
  /** Perform DoExpressCheckoutPayment, then close the connection without answering. */
  loseDoReply?: boolean;
}

export interface RecordedPayPalCall {
  method: string;
  path: string;
  /** The headers the adapters' idempotency and auth depend on, when sent. */
  headers: { authorization?: string; 'paypal-request-id'?: string; prefer?: string; 'content-type'?: string };
  /** JSON bodies parsed, form bodies as their fields, empty bodies null. */
  body: unknown;
}

export interface PayPalSimulatorCredentials {
  clientId: string;
  clientSecret: string;
  nvpUser: string;
  nvpPassword: string;
  nvpSignature: string;
}

/** Made-up credentials the simulator accepts unless told others. */
export const SIMULATOR_CREDENTIALS: PayPalSimulatorCredentials = {
  clientId: 'sim-client-id',
  clientSecret: 'sim-client-secret',
  nvpUser: 'sim_api1.example.org',
  nvpPassword: 'SIMPASSWORD',
  nvpSignature: 'SIM.SIGNATURE',
};

export interface PayPalSimulator {
  /** http://127.0.0.1:PORT: the base URL of both APIs (NVP at `${url}/nvp`). */
  url: string;
  nvpUrl: string;
  port: number;
  credentials: PayPalSimulatorCredentials;
  setOrder(id: string, scenario: OrderScenario): void;
  setCheckout(token: string, scenario: CheckoutScenario): void;
  /** Answer the next token requests with a failure (e.g. 503), as an outage of the OAuth endpoint. */
  failTokenRequests(failure: SimulatedFailure): void;
  /** Forget the access tokens issued so far: PayPal answers 401 to them (revoked or expired early). */
  revokeTokens(): void;
  /** The order or checkout as it stands now (after captures). */
  order(id: string): OrderScenario | undefined;
  checkout(token: string): CheckoutScenario | undefined;
  /** Captures and DoExpressCheckoutPayment calls that took money, by order id or token. */
  charges(): string[];
  calls(): RecordedPayPalCall[];
  reset(): void;
  close(): Promise<void>;
}

/** Fake payer data the simulator puts in its answers, so tests can check none of it leaks. */
export const SIMULATED_PAYER = { email: 'payer.sim@example.org', givenName: 'Ana', surname: 'Lima', payerId: 'SIMPAYER7Q3' };

/** A latency that does not keep a test process alive after the simulator closes. */
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms).unref());

/** Starts the simulator on 127.0.0.1 (`port` 0: any free port). */
export async function startPayPalSimulator({
  port = 0,
  credentials = SIMULATOR_CREDENTIALS,
}: { port?: number; credentials?: PayPalSimulatorCredentials } = {}): Promise<PayPalSimulator> {
  const orders = new Map<string, OrderScenario>();
  const checkouts = new Map<string, CheckoutScenario>();
  const tokens = new Set<string>();
  let tokenFailure: SimulatedFailure | undefined;
  const replies = new Map<string, { status: number; body: unknown }>();
  let charges: string[] = [];
  let calls: RecordedPayPalCall[] = [];
  let sequence = 0;
  const next = (prefix: string) => `${prefix}${String(++sequence).padStart(6, '0')}`;
  const debugId = () => `f${(++sequence).toString(16).padStart(12, '0')}`;

  /** A REST error in PayPal's documented shape. */
  const restError = (name: string, message: string, details?: Array<{ issue: string; description: string }>) => ({
    name,
    message,
    debug_id: debugId(),
    ...(details ? { details } : {}),
    links: [{ href: `https://developer.paypal.com/docs/api/orders/v2/#error-${details?.[0]?.issue ?? name}`, rel: 'information_link', method: 'GET' }],
  });
  const failureBody = (status: number) =>
    status === 500
      ? restError('INTERNAL_SERVER_ERROR', 'An internal server error has occurred.')
      : status === 429
        ? restError('RATE_LIMIT_REACHED', 'Too many requests. Blocked due to rate limiting.')
        : restError('SERVICE_UNAVAILABLE', 'Service Unavailable.');

  /** The order as GET /v2/checkout/orders/{id} answers it (with made-up payer data, as PayPal's carries real). */
  const orderBody = (id: string, order: OrderScenario) => {
    const amount = order.amount ?? { currency_code: 'USD', value: '10.00' };
    const payer = order.status === 'CREATED' ? {} : {
      payer: { name: { given_name: SIMULATED_PAYER.givenName, surname: SIMULATED_PAYER.surname }, email_address: SIMULATED_PAYER.email, payer_id: SIMULATED_PAYER.payerId },
      payment_source: { paypal: { email_address: SIMULATED_PAYER.email, account_id: SIMULATED_PAYER.payerId, name: { given_name: SIMULATED_PAYER.givenName, surname: SIMULATED_PAYER.surname } } },
    };
    const captures = order.capture
      ? { captures: [{ id: order.capture.id, status: order.capture.status, amount, final_capture: true, create_time: '2026-01-01T00:00:00Z', update_time: '2026-01-01T00:00:00Z' }] }
      : {};
    const authorizations = order.authorization
      ? { authorizations: [{ id: order.authorization.id, status: order.authorization.status, amount, expiration_time: '2026-01-30T00:00:00Z', create_time: '2026-01-01T00:00:00Z' }] }
      : {};
    const payments = order.capture || order.authorization ? { payments: { ...authorizations, ...captures } } : {};
    return {
      id,
      intent: order.intent ?? 'CAPTURE',
      status: order.status,
      ...payer,
      purchase_units: [{ reference_id: 'default', amount, ...payments }],
      create_time: '2026-01-01T00:00:00Z',
      links: [{ href: `https://api-m.sandbox.paypal.com/v2/checkout/orders/${id}`, rel: 'self', method: 'GET' }],
    };
  };

  /** Counts down a scenario's failure; true while it still answers with it. */
  const failing = (failure: SimulatedFailure | undefined): failure is SimulatedFailure => {
    if (!failure) return false;
    if (failure.times === undefined) return true;
    if (failure.times <= 0) return false;
    failure.times -= 1;
    return true;
  };

  const nvpError = (code: string, shortMessage: string, longMessage: string) => ({
    ACK: 'Failure',
    L_ERRORCODE0: code,
    L_SHORTMESSAGE0: shortMessage,
    L_LONGMESSAGE0: longMessage,
    L_SEVERITYCODE0: 'Error',
  });

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      void (async () => {
        // An SDK speaking to its real host sends an origin-form path; a proxy-style absolute URL is read too.
        const url = new URL(req.url ?? '/', 'http://simulator');
        const path = url.pathname;
        const method = req.method ?? 'GET';
        const text = Buffer.concat(chunks).toString('utf8');
        const contentType = String(req.headers['content-type'] ?? '');
        let body: unknown = null;
        if (text !== '') {
          if (contentType.includes('application/x-www-form-urlencoded')) body = Object.fromEntries(new URLSearchParams(text));
          else {
            try {
              body = JSON.parse(text);
            } catch {
              body = text;
            }
          }
        }
        const sendJson = (status: number, answer: unknown) => {
          res.writeHead(status, { 'content-type': 'application/json', 'paypal-debug-id': debugId() });
          res.end(JSON.stringify(answer));
        };
        const sendNvp = (fields: Record<string, string>) => {
          const answer = new URLSearchParams({ TIMESTAMP: '2026-01-01T00:00:00Z', CORRELATIONID: debugId(), VERSION: String((body as Record<string, string>)?.VERSION ?? ''), BUILD: '58807128', ...fields });
          res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' });
          res.end(answer.toString());
        };
        const parts = path.split('/').filter(Boolean).map(decodeURIComponent);

        if (parts[0] === '_simulator') {
          // Scenarios are JSON whatever the content type says (`curl -d` sends a form type).
          try {
            body = text === '' ? null : JSON.parse(text);
          } catch {
            return sendJson(400, { error: 'scenario is not JSON' });
          }
          if (method === 'GET' && parts[1] === 'calls') return sendJson(200, calls);
          if (method === 'DELETE' && parts.length === 1) {
            reset();
            return sendJson(200, {});
          }
          if (method === 'PUT' && parts[1] === 'orders' && parts[2]) {
            orders.set(parts[2], { ...(body as OrderScenario) });
            return sendJson(200, {});
          }
          if (method === 'PUT' && parts[1] === 'checkouts' && parts[2]) {
            checkouts.set(parts[2], { ...(body as CheckoutScenario) });
            return sendJson(200, {});
          }
          return sendJson(404, { error: 'unknown simulator command' });
        }

        const header = (name: string) => (typeof req.headers[name] === 'string' ? (req.headers[name] as string) : undefined);
        const headers: RecordedPayPalCall['headers'] = {};
        for (const name of ['authorization', 'paypal-request-id', 'prefer', 'content-type'] as const) {
          const value = header(name);
          if (value !== undefined) headers[name] = value;
        }
        calls.push({ method, path, headers, body });

        // OAuth 2.0 client credentials.
        if (method === 'POST' && path === '/v1/oauth2/token') {
          if (failing(tokenFailure)) return sendJson(tokenFailure.httpStatus, failureBody(tokenFailure.httpStatus));
          const expected = `Basic ${Buffer.from(`${credentials.clientId}:${credentials.clientSecret}`).toString('base64')}`;
          if (header('authorization') !== expected) return sendJson(401, { error: 'invalid_client', error_description: 'Client Authentication failed' });
          if ((body as Record<string, unknown> | null)?.grant_type !== 'client_credentials') {
            return sendJson(400, { error: 'unsupported_grant_type', error_description: 'Grant Type is NULL' });
          }
          const token = next('A21AASIM');
          tokens.add(token);
          return sendJson(200, { scope: 'https://uri.paypal.com/services/payments/payment', access_token: token, token_type: 'Bearer', app_id: 'APP-SIM', expires_in: 32400, nonce: debugId() });
        }

        // Orders v2.
        if (parts[0] === 'v2' && parts[1] === 'checkout' && parts[2] === 'orders' && parts[3]) {
          const bearer = /^Bearer (.+)$/.exec(header('authorization') ?? '')?.[1];
          if (!bearer || !tokens.has(bearer)) {
            return sendJson(401, { name: 'AUTHENTICATION_FAILURE', message: 'Authentication failed due to invalid authentication credentials or a missing Authorization header.', links: [{ href: 'https://developer.paypal.com/docs/api/overview/#error', rel: 'information_link' }] });
          }
          const id = parts[3];
          const order = orders.get(id);
          if (order?.latencyMs) await sleep(order.latencyMs);
          if (!order) {
            return sendJson(404, restError('RESOURCE_NOT_FOUND', 'The specified resource does not exist.', [{ issue: 'INVALID_RESOURCE_ID', description: 'Specified resource ID does not exist. Please check the resource ID and try again.' }]));
          }
          if (failing(order.failure)) return sendJson(order.failure.httpStatus, failureBody(order.failure.httpStatus));
          if (method === 'GET' && parts.length === 4) return sendJson(200, orderBody(id, order));
          if (method === 'POST' && parts[4] === 'authorize' && parts.length === 5) {
            const requestId = header('paypal-request-id');
            const replay = requestId ? replies.get(`authorize:${requestId}`) : undefined;
            if (replay) return sendJson(replay.status, replay.body);
            const answer = authorize(id, order, header('prefer'));
            if (requestId) replies.set(`authorize:${requestId}`, answer);
            return sendJson(answer.status, answer.body);
          }
          if (method === 'POST' && parts[4] === 'capture' && parts.length === 5) {
            const requestId = header('paypal-request-id');
            const replay = requestId ? replies.get(requestId) : undefined;
            if (replay) return sendJson(replay.status, replay.body);
            const answer = capture(id, order, header('prefer'));
            if (requestId) replies.set(requestId, answer);
            if (order.loseCaptureReply) {
              order.loseCaptureReply = false;
              return void res.socket?.destroy();
            }
            return sendJson(answer.status, answer.body);
          }
          return sendJson(404, restError('RESOURCE_NOT_FOUND', 'The specified resource does not exist.'));
        }

        // Payments v2: capture of an authorization.
        if (method === 'POST' && parts[0] === 'v2' && parts[1] === 'payments' && parts[2] === 'authorizations' && parts[3] && parts[4] === 'capture') {
          const bearer = /^Bearer (.+)$/.exec(header('authorization') ?? '')?.[1];
          if (!bearer || !tokens.has(bearer)) {
            return sendJson(401, { name: 'AUTHENTICATION_FAILURE', message: 'Authentication failed due to invalid authentication credentials or a missing Authorization header.' });
          }
          const found = [...orders.entries()].find(([, candidate]) => candidate.authorization?.id === parts[3]);
          if (!found) return sendJson(404, restError('RESOURCE_NOT_FOUND', 'The specified resource does not exist.', [{ issue: 'INVALID_RESOURCE_ID', description: 'Specified resource ID does not exist. Please check the resource ID and try again.' }]));
          const requestId = header('paypal-request-id');
          const replay = requestId ? replies.get(`capture-authorization:${requestId}`) : undefined;
          if (replay) return sendJson(replay.status, replay.body);
          const [orderId, order] = found;
          const answer = captureAuthorization(orderId, order);
          if (requestId) replies.set(`capture-authorization:${requestId}`, answer);
          return sendJson(answer.status, answer.body);
        }

        // NVP.
        if (method === 'POST' && path === '/nvp') {
          const form = (body && typeof body === 'object' ? body : {}) as Record<string, string>;
          if (form.USER !== credentials.nvpUser || form.PWD !== credentials.nvpPassword || form.SIGNATURE !== credentials.nvpSignature) {
            return sendNvp(nvpError('10002', 'Security error', 'Security header is not valid'));
          }
          if (!form.VERSION) return sendNvp(nvpError('10008', 'Security error', 'Security header is not valid'));
          const token = form.TOKEN ?? '';
          // GetTransactionDetails names the payment, not the token: the checkout whose transaction it is.
          const checkout =
            form.METHOD === 'GetTransactionDetails' ? [...checkouts.values()].find((c) => c.transactionId !== undefined && c.transactionId === form.TRANSACTIONID) : checkouts.get(token);
          if (checkout?.latencyMs) await sleep(checkout.latencyMs);
          if (checkout && failing(checkout.failure)) {
            res.writeHead(checkout.failure.httpStatus, { 'content-type': 'text/html' });
            return void res.end('<html><body>Service temporarily unavailable</body></html>');
          }
          const internalError = checkout?.internalError;
          if (internalError && (internalError.times === undefined || internalError.times-- > 0)) {
            return sendNvp(nvpError('10001', 'Internal Error', 'Internal Error'));
          }
          if (form.METHOD !== 'GetExpressCheckoutDetails' && form.METHOD !== 'DoExpressCheckoutPayment' && form.METHOD !== 'GetTransactionDetails') {
            return sendNvp(nvpError('81002', 'Unspecified Method', 'Method Specified is not Supported'));
          }
          if (form.METHOD === 'GetTransactionDetails') {
            if (!checkout) return sendNvp(nvpError('10004', 'Transaction refused because of an invalid argument. See additional error messages for details.', 'The transaction id is not valid'));
            const paymentStatus = checkout.transactionStatus ?? checkout.paymentStatus ?? 'Completed';
            return sendNvp({
              ACK: 'Success',
              ...(checkout.payerId ? { PAYERID: checkout.payerId, PAYERSTATUS: 'verified', EMAIL: SIMULATED_PAYER.email, FIRSTNAME: SIMULATED_PAYER.givenName, LASTNAME: SIMULATED_PAYER.surname, COUNTRYCODE: 'BR' } : {}),
              TRANSACTIONID: checkout.transactionId!,
              TRANSACTIONTYPE: 'expresscheckout',
              PAYMENTTYPE: paymentStatus === 'Pending' ? 'echeck' : 'instant',
              AMT: checkout.amount ?? '10.00',
              CURRENCYCODE: checkout.currency ?? 'USD',
              PAYMENTSTATUS: paymentStatus,
              PENDINGREASON: paymentStatus === 'Pending' ? 'echeck' : 'None',
              REASONCODE: paymentStatus === 'Reversed' ? 'chargeback' : 'None',
            });
          }
          if (!checkout) return sendNvp(nvpError('10410', 'Invalid token', 'Invalid token.'));
          if (checkout.expired) return sendNvp(nvpError('10411', 'This Express Checkout session has expired.', 'This Express Checkout session has expired.  Token value is no longer valid.'));
          const status = checkout.checkoutStatus ?? 'PaymentActionNotInitiated';
          if (form.METHOD === 'GetExpressCheckoutDetails') {
            return sendNvp({
              ACK: 'Success',
              TOKEN: token,
              CHECKOUTSTATUS: status,
              ...(checkout.payerId
                ? { PAYERID: checkout.payerId, PAYERSTATUS: 'verified', EMAIL: SIMULATED_PAYER.email, FIRSTNAME: SIMULATED_PAYER.givenName, LASTNAME: SIMULATED_PAYER.surname, COUNTRYCODE: 'BR' }
                : {}),
              ...(checkout.recurring ? { BILLINGAGREEMENTACCEPTEDSTATUS: checkout.payerId ? '1' : '0' } : {}),
              CURRENCYCODE: checkout.currency ?? 'USD',
              AMT: checkout.amount ?? '10.00',
              PAYMENTREQUEST_0_CURRENCYCODE: checkout.currency ?? 'USD',
              PAYMENTREQUEST_0_AMT: checkout.amount ?? '10.00',
              ...(checkout.transactionId ? { PAYMENTREQUEST_0_TRANSACTIONID: checkout.transactionId } : {}),
              PAYMENTREQUESTINFO_0_ERRORCODE: '0',
            });
          }
          // DoExpressCheckoutPayment
          if (checkout.doFailure) return sendNvp(nvpError(checkout.doFailure.code, checkout.doFailure.shortMessage, checkout.doFailure.longMessage));
          if (status === 'PaymentActionCompleted') {
            return sendNvp(nvpError('10415', 'Transaction refused because of an invalid argument. See additional error messages for details.', 'A successful transaction has already been completed for this token.'));
          }
          if (!checkout.payerId || !form.PAYERID) return sendNvp(nvpError('10419', 'Express Checkout PayerID is missing.', 'Express Checkout PayerID is missing.'));
          if (form.PAYERID !== checkout.payerId) return sendNvp(nvpError('10406', 'Transaction refused because of an invalid argument. See additional error messages for details.', 'The PayerID value is invalid.'));
          if (!form.PAYMENTREQUEST_0_AMT) return sendNvp(nvpError('10400', 'Transaction refused because of an invalid argument. See additional error messages for details.', 'Order total is missing.'));
          const paymentStatus = checkout.paymentStatus ?? 'Completed';
          checkout.checkoutStatus = 'PaymentActionCompleted';
          checkout.transactionId ??= next('9SIM');
          charges.push(token);
          const answer = {
            ACK: 'Success',
            TOKEN: token,
            PAYMENTINFO_0_TRANSACTIONID: checkout.transactionId,
            PAYMENTINFO_0_TRANSACTIONTYPE: 'expresscheckout',
            PAYMENTINFO_0_PAYMENTTYPE: 'instant',
            PAYMENTINFO_0_AMT: form.PAYMENTREQUEST_0_AMT,
            PAYMENTINFO_0_CURRENCYCODE: form.PAYMENTREQUEST_0_CURRENCYCODE ?? 'USD',
            PAYMENTINFO_0_PAYMENTSTATUS: paymentStatus,
            PAYMENTINFO_0_PENDINGREASON: paymentStatus === 'Pending' ? 'echeck' : 'None',
            PAYMENTINFO_0_REASONCODE: 'None',
            PAYMENTINFO_0_ACK: 'Success',
            PAYMENTINFO_0_ERRORCODE: '0',
          };
          if (checkout.loseDoReply) {
            checkout.loseDoReply = false;
            return void res.socket?.destroy();
          }
          return sendNvp(answer);
        }

        return sendJson(404, { name: 'RESOURCE_NOT_FOUND', message: 'The specified resource does not exist.', debug_id: debugId() });
      })().catch((error: unknown) => {
        res.writeHead(500, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ name: 'INTERNAL_SERVER_ERROR', message: String(error) }));
      });
    });
  });

  /** Captures an order as PayPal would; the answer is kept for its PayPal-Request-Id. */
  function capture(id: string, order: OrderScenario, prefer: string | undefined): { status: number; body: unknown } {
    if (order.status === 'COMPLETED') {
      return { status: 422, body: restError('UNPROCESSABLE_ENTITY', 'The requested action could not be performed, semantically incorrect, or failed business validation.', [{ issue: 'ORDER_ALREADY_CAPTURED', description: "Order already captured.If 'intent=CAPTURE' only one capture per order is allowed." }]) };
    }
    if (order.status !== 'APPROVED') {
      return { status: 422, body: restError('UNPROCESSABLE_ENTITY', 'The requested action could not be performed, semantically incorrect, or failed business validation.', [{ issue: 'ORDER_NOT_APPROVED', description: "Payer has not yet approved the Order for payment. Please redirect the payer to the 'rel':'approve' url returned as part of the HATEOAS links within the Create Order call or provide a valid payment_source in the request." }]) };
    }
    if (order.captureOutcome === 'INSTRUMENT_DECLINED') {
      return { status: 422, body: restError('UNPROCESSABLE_ENTITY', 'The requested action could not be performed, semantically incorrect, or failed business validation.', [{ issue: 'INSTRUMENT_DECLINED', description: 'The instrument presented  was either declined by the processor or bank, or it can\'t be used for this payment.' }]) };
    }
    order.status = 'COMPLETED';
    order.capture = { id: next('3SIM'), status: order.captureOutcome ?? 'COMPLETED' };
    charges.push(id);
    const full = orderBody(id, order);
    const minimal = { id, status: order.status, links: full.links };
    return { status: 201, body: prefer === 'return=representation' ? full : minimal };
  }

  /** Authorizes an approved authorize-intent order as PayPal would. */
  function authorize(id: string, order: OrderScenario, prefer: string | undefined): { status: number; body: unknown } {
    const unprocessable = (issue: string, description: string) => ({
      status: 422,
      body: restError('UNPROCESSABLE_ENTITY', 'The requested action could not be performed, semantically incorrect, or failed business validation.', [{ issue, description }]),
    });
    if (order.authorization) return unprocessable('ORDER_ALREADY_AUTHORIZED', 'Order already authorized.If \'intent=AUTHORIZE\' only one authorization per order is allowed.');
    if (order.status !== 'APPROVED') return unprocessable('ORDER_NOT_APPROVED', 'Payer has not yet approved the Order for payment.');
    if (order.intent !== 'AUTHORIZE') return unprocessable('ACTION_DOES_NOT_MATCH_INTENT', 'Order was created with an intent to \'CAPTURE\'. Please use v2/checkout/orders/order_id/capture to complete the transaction or alternately Create an order with an intent of \'AUTHORIZE\'.');
    order.status = 'COMPLETED';
    order.authorization = { id: next('0AW'), status: 'CREATED' };
    const full = orderBody(id, order);
    return { status: 201, body: prefer === 'return=representation' ? full : { id, status: order.status, links: full.links } };
  }

  /** Captures an order's authorization as PayPal would. */
  function captureAuthorization(orderId: string, order: OrderScenario): { status: number; body: unknown } {
    if (order.authorization?.status !== 'CREATED') {
      return {
        status: 422,
        body: restError('UNPROCESSABLE_ENTITY', 'The requested action could not be performed, semantically incorrect, or failed business validation.', [{ issue: 'AUTHORIZATION_ALREADY_CAPTURED', description: 'Authorization has already been captured.' }]),
      };
    }
    order.authorization.status = 'CAPTURED';
    order.capture = { id: next('3SIM'), status: order.captureOutcome === 'PENDING' ? 'PENDING' : 'COMPLETED' };
    charges.push(orderId);
    const amount = order.amount ?? { currency_code: 'USD', value: '10.00' };
    return { status: 201, body: { id: order.capture.id, status: order.capture.status, amount, final_capture: true, create_time: '2026-01-01T00:00:00Z', links: [] } };
  }

  function reset(): void {
    orders.clear();
    checkouts.clear();
    tokens.clear();
    tokenFailure = undefined;
    replies.clear();
    charges = [];
    calls = [];
  }

  const listening = await listenOnLoopback(server, port);
  return {
    url: listening.url,
    nvpUrl: `${listening.url}/nvp`,
    port: listening.port,
    credentials,
    setOrder: (id, scenario) => orders.set(id, structuredClone(scenario)),
    setCheckout: (token, scenario) => checkouts.set(token, structuredClone(scenario)),
    failTokenRequests: (failure) => {
      tokenFailure = { ...failure };
    },
    revokeTokens: () => tokens.clear(),
    order: (id) => (orders.has(id) ? structuredClone(orders.get(id)) : undefined),
    checkout: (token) => (checkouts.has(token) ? structuredClone(checkouts.get(token)) : undefined),
    charges: () => [...charges],
    calls: () => calls.map((call) => structuredClone(call)),
    reset,
    close: listening.close,
  };
}

if (require.main === module) {
  const port = Number(process.env.PAYPAL_SIMULATOR_PORT ?? 8392);
  const e = process.env;
  const credentials: PayPalSimulatorCredentials = {
    clientId: e.PAYPAL_ORDERS_CLIENT_ID ?? SIMULATOR_CREDENTIALS.clientId,
    clientSecret: e.PAYPAL_ORDERS_CLIENT_SECRET ?? SIMULATOR_CREDENTIALS.clientSecret,
    nvpUser: e.PAYPAL_NVP_USER ?? SIMULATOR_CREDENTIALS.nvpUser,
    nvpPassword: e.PAYPAL_NVP_PASSWORD ?? SIMULATOR_CREDENTIALS.nvpPassword,
    nvpSignature: e.PAYPAL_NVP_SIGNATURE ?? SIMULATOR_CREDENTIALS.nvpSignature,
  };
  runStandalone('PayPal simulator', () => startPayPalSimulator({ port, credentials }), (simulator) => `PayPal simulator listening on ${simulator.url} (NVP ${simulator.nvpUrl})`);
}
