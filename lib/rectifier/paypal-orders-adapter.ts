/**
 * PayPal Checkout over the REST Orders v2 API, through PayPal's server SDK
 * (`@paypal/paypal-server-sdk`): OAuth client credentials, `GET /v2/checkout/orders/{id}` and
 * `POST /v2/checkout/orders/{id}/capture` (authorize intent: `/authorize`, then
 * `POST /v2/payments/authorizations/{id}/capture`). The order id is the pending message's
 * `gateway_session_id` (the `token` PayPal returns the donor with), else its `gateway_txn_id`.
 *
 * Order status → rectifier status (docs/processors-paypal.md has the full tables):
 *   CREATED, PAYER_ACTION_REQUIRED → discard (the donor never approved; the order lapses)
 *   APPROVED                       → needs-finishing: captured once, with PayPal-Request-Id
 *                                    (intent AUTHORIZE: authorized, then the authorization
 *                                    captured, each once); for the pending row's amount only
 *   COMPLETED                      → by its capture: COMPLETED complete, PENDING retry later,
 *                                    DECLINED/FAILED failed, REFUNDED refunded; an authorization
 *                                    not yet captured (CREATED) → needs-finishing
 *   VOIDED                         → cancelled
 *   SAVED, PARTIALLY_REFUNDED, an approved recurring donation, another amount → a person
 *   404 RESOURCE_NOT_FOUND         → discard (for an id from gateway_session_id; a person otherwise)
 *
 * The capture's PayPal-Request-Id is derived from the order id alone, so a rectifier retrying
 * after a lost reply sends the same id and PayPal answers with the first capture instead of
 * capturing again; and every run reads the order first, so a capture that went through is
 * found COMPLETED and pushed without a second attempt.
 *
 * The SDK (about half a megabyte of code with axios) is loaded on the first PayPal call, not
 * when the function starts: functions and gateways that never call PayPal do not pay for it.
 *
 * The SDK knows only PayPal's two hosts. For the simulator (any other base URL) its documented
 * `httpsAgent` option gets an agent that opens every connection to the configured origin
 * instead: the SDK still speaks https://api-m.sandbox.paypal.com paths and headers, the bytes
 * go to the simulator (plain TCP for http:, TLS for https:).
 */
import https from 'node:https';
import net from 'node:net';
import tls from 'node:tls';
import type { Duplex } from 'node:stream';
import type { ApiError, Order, OrdersController, PaymentsController } from '@paypal/paypal-server-sdk';
import { ConfigError, MalformedMessageError } from '../errors';
import { redactText } from '../redact';
import { isRecurring, PayPalAuthenticationError, PayPalNeedsPersonError, paypalAmount, PayPalStillProcessingError, sameAmount } from './paypal-common';
import {
  ProcessorResponseError,
  type Capability,
  type CompletionResult,
  type OrphanPayment,
  type ProcessorAdapter,
  type StatusResult,
} from './processor-adapter';
import { httpFailureError, httpFailureKind, isJsonAnswer, ProcessorUnavailableError } from './processor-http';

export interface PayPalOrdersOptions {
  /** https://api-m.paypal.com (live), https://api-m.sandbox.paypal.com, or a simulator's origin. */
  baseUrl: string;
  clientId?: string;
  clientSecret?: string;
  timeoutMs: number;
  /**
   * Extra axios settings for the SDK's HTTP client (its `unstable_httpClientOptions`): tests
   * pass an in-process `adapter` that answers with recorded examples.
   */
  httpClientOverrides?: Record<string, unknown>;
}

/** What the status mapping reads of an order: a structural subset of the SDK's `Order`. */
export interface OrderView {
  id?: string;
  status?: string;
  intent?: string;
  purchaseUnits?: Array<{
    amount?: { currencyCode?: string; value?: string };
    payments?: {
      captures?: Array<{ id?: string; status?: string }>;
      authorizations?: Array<{ id?: string; status?: string }>;
    };
  }>;
}

const LIVE = 'https://api-m.paypal.com';
const SANDBOX = 'https://api-m.sandbox.paypal.com';
type Sdk = typeof import('@paypal/paypal-server-sdk');
let sdk: Promise<Sdk> | undefined;
/** Set once the SDK is loaded: an ApiError can only exist after that. */
let loadedSdk: Sdk | undefined;

/** Loads the SDK once per process, on first use (see the file comment). */
function loadSdk(): Promise<Sdk> {
  sdk ??= import('@paypal/paypal-server-sdk').then(
    (module) => (loadedSdk = module),
    (error: unknown) => {
      sdk = undefined;
      throw error;
    },
  );
  return sdk;
}

/** True for the SDK's HTTP error answers (CustomError, OAuthProviderError…). */
function isApiError(error: unknown): error is ApiError {
  return loadedSdk !== undefined && error instanceof loadedSdk.ApiError;
}

/** PayPal-Request-Id is at most 108 characters. */
const REQUEST_ID_PREFIX = 'rectify-capture-';
const AUTHORIZE_REQUEST_ID_PREFIX = 'rectify-authorize-';

/**
 * Reads an order as a rectifier status. Pure, so that the mapping is tested against PayPal's
 * documented examples; throws the PayPal errors of paypal-common.ts where no status fits.
 */
export function paypalOrderStatus(
  order: OrderView,
  { recurring, amount }: { recurring: boolean; amount?: { value: string; currency: string } },
): StatusResult {
  const status = order.status;
  const which = `PayPal order ${order.id ?? ''}`;
  switch (status) {
    case 'CREATED':
    case 'PAYER_ACTION_REQUIRED':
      return { status: 'discard', gatewayStatus: status };
    case 'VOIDED':
      return { status: 'cancelled', gatewayStatus: status };
    case 'SAVED':
      throw new PayPalNeedsPersonError(`${which} is SAVED: a saved order is settled by its own flow, not by the rectifier`);
    case 'APPROVED':
      mayCharge(order, which, recurring, amount);
      return { status: 'needs-finishing', gatewayStatus: status };
    case 'COMPLETED':
      if (!firstCapture(order) && firstAuthorization(order)) return authorizationStatus(order, which, recurring, amount);
      return captureStatus(order, which);
    default:
      throw new ProcessorResponseError(`${which} has an unknown status ${String(status).slice(0, 40)}`);
  }
}

/** Refuses, with the reason, to charge an order the rectifier must not charge alone. */
function mayCharge(order: OrderView, which: string, recurring: boolean, amount: { value: string; currency: string } | undefined): void {
  if (recurring) {
    throw new PayPalNeedsPersonError(`${which} is an approved recurring donation: never captured as a one-off payment`);
  }
  if (amount && !sameAmount(amount, { value: order.purchaseUnits?.[0]?.amount?.value, currency: order.purchaseUnits?.[0]?.amount?.currencyCode })) {
    throw new PayPalNeedsPersonError(`${which} is ${order.status} for another amount than the pending row's: not captured`);
  }
}

function firstCapture(order: OrderView) {
  return (order.purchaseUnits ?? []).flatMap((unit) => unit.payments?.captures ?? [])[0];
}

function firstAuthorization(order: OrderView) {
  return (order.purchaseUnits ?? []).flatMap((unit) => unit.payments?.authorizations ?? [])[0];
}

/** An authorize-intent order PayPal has authorized: by its authorization's status. */
function authorizationStatus(order: OrderView, which: string, recurring: boolean, amount: { value: string; currency: string } | undefined): StatusResult {
  const authorization = firstAuthorization(order)!;
  switch (authorization.status) {
    case 'CREATED':
      mayCharge(order, which, recurring, amount);
      return { status: 'needs-finishing', gatewayStatus: 'AUTHORIZED' };
    case 'PENDING':
      throw new PayPalStillProcessingError(`${which}: its authorization is PENDING at PayPal, look again later`);
    case 'DENIED':
      return { status: 'failed', gatewayStatus: 'DENIED' };
    case 'VOIDED':
    case 'EXPIRED':
      return { status: 'cancelled', gatewayStatus: authorization.status };
    default:
      throw new PayPalNeedsPersonError(`${which}: its authorization is ${String(authorization.status).slice(0, 40)} without a capture listed`);
  }
}

function captureStatus(order: OrderView, which: string): StatusResult {
  const capture = firstCapture(order);
  if (!capture) throw new ProcessorResponseError(`${which} is COMPLETED without a capture`);
  const txn = capture.id ? { gatewayTxnId: capture.id } : {};
  switch (capture.status) {
    case 'COMPLETED':
      return { status: 'complete', gatewayStatus: 'COMPLETED', ...txn };
    case 'PENDING':
      throw new PayPalStillProcessingError(`${which}: its capture is PENDING at PayPal, look again later`);
    case 'DECLINED':
    case 'FAILED':
      return { status: 'failed', gatewayStatus: capture.status, ...txn };
    case 'REFUNDED':
      return { status: 'refunded', gatewayStatus: capture.status, ...txn };
    case 'PARTIALLY_REFUNDED':
      throw new PayPalNeedsPersonError(`${which}: its capture is PARTIALLY_REFUNDED, a person decides what to record`);
    default:
      throw new ProcessorResponseError(`${which}: its capture has an unknown status ${String(capture.status).slice(0, 40)}`);
  }
}

/**
 * The PayPal-Request-Id of an order's (or an authorization's) capture: the same on every
 * attempt, so PayPal captures once.
 */
export function captureRequestId(orderId: string): string {
  return `${REQUEST_ID_PREFIX}${orderId}`.slice(0, 108);
}

/** The PayPal-Request-Id of an authorize-intent order's authorization, for the same reason. */
export function authorizeRequestId(orderId: string): string {
  return `${AUTHORIZE_REQUEST_ID_PREFIX}${orderId}`.slice(0, 108);
}

export class PayPalOrdersAdapter implements ProcessorAdapter {
  readonly kind = 'paypal-orders';
  /** No cancel: an order that is not captured lapses on its own (and cannot be voided by API). */
  readonly capabilities: ReadonlySet<Capability> = new Set<Capability>(['finish']);
  private controllers: Promise<Controllers> | undefined;
  private readonly connect: () => Promise<Controllers>;
  /** What getStatus learnt for finish: the intent and an authorization to capture (ids only). */
  private readonly plans = new WeakMap<OrphanPayment, { intent?: string; authorizationId?: string }>();
  private readonly origin: string;

  constructor(options: PayPalOrdersOptions) {
    if (!options.clientId || !options.clientSecret) {
      throw new ConfigError(['PAYPAL_ORDERS_CLIENT_ID and PAYPAL_ORDERS_CLIENT_SECRET: required by the paypal-orders adapter']);
    }
    const { clientId, clientSecret } = options;
    const target = new URL(options.baseUrl);
    this.origin = target.origin;
    const real = target.origin === LIVE || target.origin === SANDBOX;
    const agent = real ? undefined : new RedirectingAgent(target);
    this.connect = async () => {
      const { Client, Environment, OrdersController, PaymentsController } = await loadSdk();
      const client = new Client({
        clientCredentialsAuthCredentials: { oAuthClientId: clientId, oAuthClientSecret: clientSecret },
        environment: target.origin === LIVE ? Environment.Production : Environment.Sandbox,
        timeout: options.timeoutMs,
        httpClientOptions: {
          timeout: options.timeoutMs,
          // The rectifier decides about retries (a later run), never the SDK within one.
          retryConfig: { maxNumberOfRetries: 0 },
          ...(agent ? { httpsAgent: agent } : {}),
        },
        // No proxy from the environment: it would bypass the redirecting agent.
        unstable_httpClientOptions: { ...(agent ? { proxy: false } : {}), ...options.httpClientOverrides },
        // No `logging`: the SDK's default logger is silent, and bodies carry donor data.
      });
      return { orders: new OrdersController(client), payments: new PaymentsController(client) };
    };
  }

  /**
   * Runs one SDK call. The SDK keeps its OAuth token for the client's life and never drops it:
   * a token PayPal no longer accepts (401) or a token request that failed (the SDK keeps the
   * rejected promise) would fail every later call of a warm function. So any failure without a
   * PayPal answer, and any 401, replaces the client (a new token on its next call), and a 401
   * from an API call (not from the token endpoint) is tried once more with the new token:
   * nothing happened at PayPal, so a capture retried this way cannot capture twice.
   */
  private async call<T>(op: (controllers: Controllers) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt += 1) {
      try {
        this.controllers ??= this.connect();
        return await op(await this.controllers);
      } catch (error) {
        const unauthorised = isApiError(error) && error.statusCode === 401;
        const tokenRequest = isTokenRequest(error);
        if (!isApiError(error) || unauthorised || tokenRequest) this.controllers = undefined;
        if (unauthorised && !tokenRequest && attempt === 1) continue;
        throw error;
      }
    }
  }

  /** Reads the order; see paypalOrderStatus for the mapping. An order PayPal does not know is discarded. */
  async getStatus(payment: OrphanPayment): Promise<StatusResult> {
    const id = orderIdOf(payment);
    let order: Order;
    try {
      order = (await this.call(({ orders }) => orders.getOrder({ id }))).result;
    } catch (error) {
      // Only an id PayPal returned the donor with is surely an order id: an unknown one is gone.
      // A gateway_txn_id might be another kind of PayPal id, so its 404 goes to a person.
      if (isApiError(error) && error.statusCode === 404 && hasSessionOrderId(payment)) return { status: 'discard', gatewayStatus: 'RESOURCE_NOT_FOUND' };
      throw this.translate(error, `GET order ${id}`);
    }
    const amount = paypalAmount(payment.message);
    const status = paypalOrderStatus(order, { recurring: isRecurring(payment.message), ...(typeof amount === 'string' ? {} : { amount }) });
    if (status.status === 'needs-finishing') this.plans.set(payment, { intent: order.intent, authorizationId: firstAuthorization(order)?.id });
    return status;
  }

  /**
   * Captures an approved order, once: the PayPal-Request-Id is the same on every attempt, and
   * an ORDER_ALREADY_CAPTURED refusal is read back as the capture it refers to.
   */
  async finish(payment: OrphanPayment, _status?: StatusResult): Promise<CompletionResult> {
    if (isRecurring(payment.message)) {
      throw new PayPalNeedsPersonError('a recurring PayPal donation is never captured as a one-off payment');
    }
    const id = orderIdOf(payment);
    const plan = this.plans.get(payment) ?? {};
    if (plan.authorizationId) return this.captureAuthorization(payment, plan.authorizationId);
    if (plan.intent === 'AUTHORIZE') return this.authorizeAndCapture(payment, id);
    let order: Order;
    try {
      order = (await this.call(({ orders }) => orders.captureOrder({ id, paypalRequestId: captureRequestId(id), prefer: 'return=representation' }))).result;
    } catch (error) {
      if (isApiError(error) && error.statusCode === 422 && issuesOf(error).includes('ORDER_ALREADY_CAPTURED')) {
        return this.alreadyCaptured(payment);
      }
      throw this.translate(error, `capture order ${id}`);
    }
    return completion(paypalOrderStatus(order, { recurring: false }), id);
  }

  /** An approved authorize-intent order: authorize it (once, by request id), then capture the authorization. */
  private async authorizeAndCapture(payment: OrphanPayment, id: string): Promise<CompletionResult> {
    let order: Order;
    try {
      order = (await this.call(({ orders }) => orders.authorizeOrder({ id, paypalRequestId: authorizeRequestId(id), prefer: 'return=representation' }))).result;
    } catch (error) {
      if (isApiError(error) && error.statusCode === 422 && issuesOf(error).includes('ORDER_ALREADY_AUTHORIZED')) {
        return this.finishFromOrder(payment);
      }
      throw this.translate(error, `authorize order ${id}`);
    }
    const authorization = firstAuthorization(order);
    if (authorization?.status !== 'CREATED' || !authorization.id) {
      throw new ProcessorResponseError(`PayPal authorization of order ${id} is ${String(authorization?.status ?? 'missing').slice(0, 40)}, not CREATED`);
    }
    return this.captureAuthorization(payment, authorization.id);
  }

  /** Captures an authorization, once: its PayPal-Request-Id is derived from the authorization id. */
  private async captureAuthorization(payment: OrphanPayment, authorizationId: string): Promise<CompletionResult> {
    let capture: { id?: string; status?: string };
    try {
      capture = (
        await this.call(({ payments }) =>
          payments.captureAuthorizedPayment({ authorizationId, paypalRequestId: captureRequestId(authorizationId), prefer: 'return=representation', body: { finalCapture: true } }),
        )
      ).result;
    } catch (error) {
      if (isApiError(error) && error.statusCode === 422 && issuesOf(error).includes('AUTHORIZATION_ALREADY_CAPTURED')) {
        return this.alreadyCaptured(payment);
      }
      throw this.translate(error, `capture authorization ${authorizationId}`);
    }
    const which = `PayPal order ${orderIdOf(payment)}`;
    return completion(captureStatus({ status: 'COMPLETED', purchaseUnits: [{ payments: { captures: [capture] } }] }, which), orderIdOf(payment));
  }

  /** Reads the order again and finishes from what it shows (an authorization made by an earlier attempt). */
  private async finishFromOrder(payment: OrphanPayment): Promise<CompletionResult> {
    const status = await this.getStatus(payment);
    if (status.status === 'complete') return { gatewayTxnId: status.gatewayTxnId, gatewayStatus: status.gatewayStatus };
    const authorizationId = this.plans.get(payment)?.authorizationId;
    if (status.status !== 'needs-finishing' || !authorizationId) {
      throw new ProcessorResponseError(`PayPal order ${orderIdOf(payment)} cannot be finished from status ${status.gatewayStatus ?? status.status}`);
    }
    return this.captureAuthorization(payment, authorizationId);
  }

  private async alreadyCaptured(payment: OrphanPayment): Promise<CompletionResult> {
    const status = await this.getStatus(payment);
    return completion(status, orderIdOf(payment));
  }

  /**
   * Turns what the SDK threw into the rectifier's taxonomy: no answer → outage; credentials
   * refused → stop the run; 500/429 → retry later; any other refusal → a person. Texts carry
   * PayPal's error name, issues and debug_id, never the body (it may echo donor data).
   */
  private translate(error: unknown, what: string): Error {
    if (isApiError(error)) {
      const result = errorResult(error);
      const reason = [result.name, ...issuesOf(error), result.debugId ? `debug_id ${result.debugId}` : undefined]
        .filter(Boolean)
        .map((part) => redactText(String(part)).slice(0, 120))
        .join(', ');
      const answered = `PayPal ${what}${isTokenRequest(error) ? ' (OAuth token request)' : ''}: HTTP ${error.statusCode}${reason ? ` (${reason})` : ''}`;
      if (error.statusCode === 401 || (error.statusCode === 400 && result.name === 'invalid_client')) {
        return new PayPalAuthenticationError(`${answered}: credentials refused`);
      }
      const json = (error.result !== undefined && error.result !== null) || isJsonAnswer(typeof error.body === 'string' ? error.body : '');
      const kind = httpFailureKind(error.statusCode, json);
      return httpFailureError(kind, kind === 'unavailable' ? `PayPal at ${this.origin} is unavailable: ${answered}` : answered);
    }
    const err = (error ?? {}) as { name?: unknown; code?: unknown; message?: unknown };
    const code = typeof err.code === 'string' ? err.code : undefined;
    if (code !== undefined || err.name === 'AbortError' || err.name === 'AxiosError') {
      const reason = code === 'ECONNABORTED' || code === 'ETIMEDOUT' ? 'no answer in time' : (code ?? String(err.message ?? 'request failed'));
      return new ProcessorUnavailableError(`PayPal at ${this.origin} is unreachable (${what}): ${reason}`, { cause: error });
    }
    // The SDK's response validation and anything else unexpected: the answer is not what PayPal documents.
    const name = typeof err.name === 'string' ? err.name : 'Error';
    return new ProcessorResponseError(`PayPal ${what}: unexpected answer (${name})`);
  }
}

/** True when the SDK failed while asking for its OAuth token, not in the API call itself. */
function isTokenRequest(error: unknown): boolean {
  return isApiError(error) && String(error.request?.url ?? '').includes('/v1/oauth2/token');
}

interface Controllers {
  orders: OrdersController;
  payments: PaymentsController;
}

function completion(status: StatusResult, orderId: string): CompletionResult {
  if (status.status !== 'complete') {
    throw new ProcessorResponseError(`PayPal capture of order ${orderId} did not complete (${status.gatewayStatus ?? status.status})`);
  }
  return { gatewayTxnId: status.gatewayTxnId, gatewayStatus: status.gatewayStatus };
}

interface ErrorResult {
  name?: string;
  debugId?: string;
  details: Array<{ issue?: string }>;
}

/** PayPal's error body (`name`, `message`, `debug_id`, `details[]`) as far as it can be read. */
function errorResult(error: ApiError): ErrorResult {
  let raw: unknown = error.result;
  if ((raw === undefined || raw === null) && typeof error.body === 'string') {
    try {
      raw = JSON.parse(error.body);
    } catch {
      raw = undefined;
    }
  }
  const body = (raw && typeof raw === 'object' ? raw : {}) as Record<string, unknown>;
  const details = Array.isArray(body.details) ? (body.details as Array<{ issue?: string }>) : [];
  const name = typeof body.name === 'string' ? body.name : typeof body.error === 'string' ? body.error : undefined;
  const debugId = typeof body.debug_id === 'string' ? body.debug_id : typeof body.debugId === 'string' ? body.debugId : undefined;
  return { name, debugId, details };
}

function issuesOf(error: ApiError): string[] {
  return errorResult(error)
    .details.map((detail) => detail.issue)
    .filter((issue): issue is string => typeof issue === 'string');
}

function hasSessionOrderId(payment: OrphanPayment): boolean {
  const session = payment.message.gateway_session_id;
  return typeof session === 'string' && session !== '';
}

function orderIdOf(payment: OrphanPayment): string {
  const session = payment.message.gateway_session_id;
  const id = typeof session === 'string' && session !== '' ? session : payment.gatewayTxnId;
  if (!id) throw new MalformedMessageError('pending row has neither gateway_session_id nor gateway_txn_id: the PayPal order id is needed');
  if (!/^[A-Za-z0-9-]{1,64}$/.test(id)) throw new MalformedMessageError('pending row has a PayPal order id PayPal cannot have issued');
  return id;
}

/** An https agent that opens every connection to one origin (the simulator), whatever host was asked for. */
class RedirectingAgent extends https.Agent {
  constructor(private readonly target: URL) {
    super({ keepAlive: false });
  }

  /** Returning the socket is enough: node's Agent takes a returned socket as created. */
  override createConnection(options: https.RequestOptions): Duplex {
    const host = this.target.hostname.replace(/^\[|\]$/g, '');
    if (this.target.protocol === 'http:') return net.connect({ host, port: Number(this.target.port || 80) });
    return tls.connect({ ...(options as tls.ConnectionOptions), host, port: Number(this.target.port || 443), servername: host });
  }
}
