/**
 * A Worldline Connect (Ingenico) Server API v1 simulator for tests and the local stack: the
 * documented paths, V1HMAC request signatures checked as the SDK makes them (method, content
 * type, Date, the sorted X-GCS-* headers and the path, HMAC-SHA256 with the secret API key), and
 * the documented payload shapes and status values (`status`, `statusOutput.statusCode`,
 * `isCancellable`), driven by scenario data:
 *
 *   GET  /v1/{merchantId}/hostedcheckouts/{hostedCheckoutId}
 *   GET  /v1/{merchantId}/payments/{paymentId}
 *   POST /v1/{merchantId}/payments/{paymentId}/approve   (PENDING_APPROVAL/PENDING_CAPTURE → CAPTURE_REQUESTED, 800;
 *                                                         no amount: the whole authorisation, a lower one: a partial capture)
 *   POST /v1/{merchantId}/payments/{paymentId}/cancel    (cancellable → CANCELLED, 99999)
 *
 * Amounts are Connect's: "in cents and always having 2 decimals" for every currency (JPY 1000 is
 * `amount: 100000`, KWD 1.250 is `125`). Like Connect, the simulator never converts an amount: an
 * approve with an `amount` lower than the authorisation captures that much (`approvedAmount`), one
 * higher is refused, and an approve without one captures the whole authorisation.
 *
 * Idempotent requests as Connect documents them (X-GCS-Idempotence-Key, on approve): while the
 * first attempt with a key is being handled (`approveTakesMs`), another attempt with that key is
 * answered 409 with error 1409 DUPLICATE_REQUEST_IN_PROGRESS; once it is done, another attempt gets
 * the same answer again; both carry X-GCS-Idempotence-Request-Timestamp, the first attempt's time.
 *
 * Error answers have Connect's shape (`errorId`, `errors[]` with code, id, category,
 * httpStatusCode, message); the codes are the simulator's approximation of the reference's.
 * Faults (`faults: { 'payments.get': { httpStatus: 503, latencyMs: 50, times: 1 } }`) and
 * latency per route come with the scenario (scripts/simulators/common.ts).
 *
 * Run standalone: `npx tsx scripts/simulators/worldline.ts` (WORLDLINE_SIMULATOR_PORT, default 8392;
 * merchant 1234, API key id `local-key-id`, secret `local-secret`).
 */
import { createHmac, randomUUID } from 'node:crypto';
import { route, runStandalone, serve, type Answer, type Fault, type RecordedCall, type SimulatorRequest } from './common';

/** One simulated payment. */
export interface WorldlinePaymentState {
  merchantId?: string;
  status: string;
  statusCode: number;
  isCancellable?: boolean;
  /** The authorised amount, in Connect's cents (2 decimals for every currency); default 2500. */
  amount?: number;
  currencyCode?: string;
  /** Set by the simulator on approve: the amount to be captured (less than `amount` for a partial capture). */
  approvedAmount?: number;
  /** How long Connect takes to handle an approve of this payment (default 0 ms). */
  approveTakesMs?: number;
  merchantReference?: string;
}

/** One simulated hosted checkout; `paymentId` names the payment it created (status PAYMENT_CREATED). */
export interface WorldlineHostedCheckoutState {
  merchantId?: string;
  status: 'IN_PROGRESS' | 'PAYMENT_CREATED' | 'CANCELLED_BY_CONSUMER' | 'CLIENT_NOT_ELIGIBLE_FOR_SELECTED_PAYMENT_PRODUCT';
  paymentId?: string;
}

export interface WorldlineScenario {
  payments?: Record<string, WorldlinePaymentState>;
  hostedCheckouts?: Record<string, WorldlineHostedCheckoutState>;
  faults?: Record<string, Fault>;
}

export interface WorldlineCredentials {
  merchantId: string;
  apiKeyId: string;
  secretApiKey: string;
}

export interface WorldlineSimulator {
  /** http://127.0.0.1:PORT: the adapter's `endpoint`. */
  url: string;
  port: number;
  setPayment(paymentId: string, state: WorldlinePaymentState): void;
  setHostedCheckout(hostedCheckoutId: string, state: WorldlineHostedCheckoutState): void;
  /** A fault for one route (`hostedcheckouts.get`, `payments.get`, `payments.approve`, `payments.cancel`). */
  setFault(routeName: string, fault: Fault): void;
  payment(paymentId: string): WorldlinePaymentState | undefined;
  calls(): RecordedCall[];
  reset(): void;
  close(): Promise<void>;
}

const ROUTES = [
  route('hostedcheckouts.get', 'GET', '/v1/:merchant/hostedcheckouts/:id'),
  route('payments.get', 'GET', '/v1/:merchant/payments/:id'),
  route('payments.approve', 'POST', '/v1/:merchant/payments/:id/approve'),
  route('payments.cancel', 'POST', '/v1/:merchant/payments/:id/cancel'),
];

const APPROVABLE = new Set(['PENDING_APPROVAL', 'PENDING_CAPTURE']);

/** Connect's error answer. */
function connectError(httpStatusCode: number, code: string, id: string): Answer {
  return {
    status: httpStatusCode,
    body: { errorId: randomUUID(), errors: [{ code, id, category: httpStatusCode >= 500 ? 'IO_ERROR' : 'CONNECT_PLATFORM_ERROR', httpStatusCode, message: id }] },
  };
}

/** The V1HMAC signature of a request, as Connect computes it. */
export function v1HmacSignature(request: SimulatorRequest, secretApiKey: string): string {
  const gcsHeaders = Object.entries(request.headers)
    .filter(([key]) => key.toLowerCase().startsWith('x-gcs'))
    .map(([key, value]) => [key.toLowerCase(), String(value)] as const)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([key, value]) => `${key}:${value}\n`)
    .join('');
  const contentType = String(request.headers['content-type'] ?? '');
  const date = String(request.headers.date ?? '');
  return createHmac('sha256', secretApiKey).update(`${request.method}\n${contentType}\n${date}\n${gcsHeaders}${request.path}\n`).digest('base64');
}

/** Starts the simulator on 127.0.0.1 with the credentials it accepts (`port` 0: any free port). */
export async function startWorldlineSimulator({ port = 0, credentials }: { port?: number; credentials: WorldlineCredentials[] }): Promise<WorldlineSimulator> {
  const payments = new Map<string, WorldlinePaymentState>();
  const hostedCheckouts = new Map<string, WorldlineHostedCheckoutState>();
  const faults = new Map<string, Fault>();
  /** Idempotent requests seen, by key: when the first attempt was made, when it is done, its answer. */
  const idempotent = new Map<string, { at: number; doneAt: number; answer: Answer }>();

  const paymentJson = (id: string, p: WorldlinePaymentState) => ({
    id,
    paymentOutput: {
      amountOfMoney: { amount: p.amount ?? 2500, currencyCode: p.currencyCode ?? 'EUR' },
      references: { merchantReference: p.merchantReference ?? id, paymentReference: '0' },
      paymentMethod: 'card',
      cardPaymentMethodSpecificOutput: { paymentProductId: 1, card: { cardNumber: '************4242', expiryDate: '1230' } },
    },
    status: p.status,
    statusOutput: {
      isCancellable: p.isCancellable ?? false,
      statusCategory: p.statusCode >= 800 && p.statusCode < 1100 ? 'COMPLETED' : p.statusCode === 99999 || p.statusCode < 200 ? 'UNSUCCESSFUL' : 'PENDING_MERCHANT',
      statusCode: p.statusCode,
      statusCodeChangeDateTime: '20261202031500',
      isAuthorized: p.statusCode >= 600 && p.statusCode < 1100,
      isRefundable: p.statusCode >= 800 && p.statusCode < 1100,
    },
  });

  const ownPayment = (merchant: string, id: string) => {
    const p = payments.get(id);
    return p && (p.merchantId === undefined || p.merchantId === merchant) ? p : undefined;
  };

  /** Handles one approve: the whole authorisation without an amount, a partial capture with a lower one. */
  const approve = (p: WorldlinePaymentState, id: string, request: SimulatorRequest): Answer => {
    if (!APPROVABLE.has(p.status)) return connectError(400, '300450', 'ACTION_NOT_ALLOWED_ON_PAYMENT_STATUS');
    const authorised = p.amount ?? 2500;
    const amount = (request.body as { amount?: unknown } | null)?.amount ?? authorised;
    if (typeof amount !== 'number' || !Number.isInteger(amount) || amount <= 0) return connectError(400, '21000020', 'INVALID_VALUE');
    if (amount > authorised) return connectError(400, '21000020', 'AMOUNT_HIGHER_THAN_AUTHORISED');
    Object.assign(p, { status: 'CAPTURE_REQUESTED', statusCode: 800, isCancellable: true, approvedAmount: amount });
    return {
      status: 200,
      body: { payment: paymentJson(id, p), cardPaymentMethodSpecificOutput: { authorisationCode: 'SIM123' } },
      ...(p.approveTakesMs ? { delayMs: p.approveTakesMs } : {}),
    };
  };

  const server = await serve<WorldlineScenario>({
    port,
    routes: ROUTES,
    faults,
    scenario: {
      merge: (update) => {
        for (const [id, state] of Object.entries(update.payments ?? {})) payments.set(id, { ...state });
        for (const [id, state] of Object.entries(update.hostedCheckouts ?? {})) hostedCheckouts.set(id, { ...state });
      },
      reset: () => {
        payments.clear();
        hostedCheckouts.clear();
        idempotent.clear();
      },
    },
    authenticate: (request) => {
      const header = String(request.headers.authorization ?? '');
      const match = /^GCS v1HMAC:([^:]+):(.+)$/.exec(header);
      const refusal = connectError(401, '9002', 'MISSING_OR_INVALID_AUTHORIZATION');
      if (!match) return { ok: false, refusal };
      const [, keyId, signature] = match;
      const known = credentials.find((c) => c.apiKeyId === keyId);
      if (!known || v1HmacSignature(request, known.secretApiKey) !== signature) return { caller: keyId, ok: false, refusal };
      if (request.parts[1] !== known.merchantId) return { caller: keyId, ok: false, refusal: connectError(403, '9007', 'ACCESS_TO_MERCHANT_NOT_ALLOWED') };
      return { caller: keyId, ok: true };
    },
    notFound: () => connectError(404, '1002', 'UNKNOWN_RESOURCE'),
    faultBody: (status) => connectError(status, status >= 500 ? '9999' : '1000', status >= 500 ? 'SERVICE_UNAVAILABLE' : 'FAULT').body,
    handle: (name, [merchant, id], request) => {
      if (name === 'hostedcheckouts.get') {
        const checkout = hostedCheckouts.get(id!);
        if (!checkout || (checkout.merchantId !== undefined && checkout.merchantId !== merchant)) return connectError(404, '1002', 'UNKNOWN_HOSTED_CHECKOUT_ID');
        const created = checkout.paymentId ? ownPayment(merchant!, checkout.paymentId) : undefined;
        return {
          status: 200,
          body: {
            status: checkout.status,
            ...(checkout.status === 'PAYMENT_CREATED' && created
              ? {
                  createdPaymentOutput: {
                    payment: paymentJson(checkout.paymentId!, created),
                    paymentCreationReferences: { additionalReference: created.merchantReference ?? id, externalReference: created.merchantReference ?? id },
                    paymentStatusCategory: created.statusCode >= 800 ? 'SUCCESSFUL' : created.statusCode < 200 ? 'REJECTED' : 'STATUS_UNKNOWN',
                  },
                }
              : {}),
          },
        };
      }
      const p = ownPayment(merchant!, id!);
      if (!p) return connectError(404, '1002', 'UNKNOWN_PAYMENT_ID');
      if (name === 'payments.get') return { status: 200, body: paymentJson(id!, p) };
      if (name === 'payments.approve') {
        const key = request.headers['x-gcs-idempotence-key'];
        const seen = typeof key === 'string' ? idempotent.get(key) : undefined;
        if (seen) {
          const headers = { 'x-gcs-idempotence-request-timestamp': String(seen.at) };
          if (Date.now() < seen.doneAt) return { ...connectError(409, '1409', 'DUPLICATE_REQUEST_IN_PROGRESS'), headers };
          return { ...seen.answer, headers, delayMs: 0 };
        }
        const answer = approve(p, id!, request);
        if (typeof key === 'string') idempotent.set(key, { at: Date.now(), doneAt: Date.now() + (answer.delayMs ?? 0), answer });
        return answer;
      }
      // payments.cancel
      if (!p.isCancellable) return connectError(400, '300450', 'ACTION_NOT_ALLOWED_ON_PAYMENT_STATUS');
      Object.assign(p, { status: 'CANCELLED', statusCode: 99999, isCancellable: false });
      return { status: 200, body: { payment: paymentJson(id!, p) } };
    },
  });


  return {
    url: server.url,
    port: server.port,
    setPayment: (id, state) => payments.set(id, { ...state }),
    setHostedCheckout: (id, state) => hostedCheckouts.set(id, { ...state }),
    setFault: (name, fault) => faults.set(name, { ...fault }),
    payment: (id) => (payments.has(id) ? { ...payments.get(id)! } : undefined),
    calls: server.calls,
    reset: () => {
      payments.clear();
      hostedCheckouts.clear();
      idempotent.clear();
      faults.clear();
      server.clearCalls();
    },
    close: server.close,
  };
}

if (require.main === module) {
  const port = Number(process.env.WORLDLINE_SIMULATOR_PORT ?? 8392);
  runStandalone(
    'Worldline simulator',
    () => startWorldlineSimulator({ port, credentials: [{ merchantId: '1234', apiKeyId: 'local-key-id', secretApiKey: 'local-secret' }] }),
    (simulator) => `Worldline Connect simulator listening on ${simulator.url}`,
  );
}
