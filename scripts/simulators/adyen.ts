/**
 * An Adyen Checkout API simulator for tests and the local stack. It speaks https only (the
 * official library sends every request over TLS): a certificate for 127.0.0.1 is made at start
 * (openssl) and handed out as `caCertificate`, for the adapter's account setting of that name.
 * Requests are authenticated by their `X-API-Key` header and must name the key's merchant
 * account; paths, payloads and result codes are those of the Checkout API reference, under the
 * API version the library pins (`/v72`):
 *
 *   POST /v72/payments/details                        { details: { redirectResult } } → resultCode, pspReference
 *   POST /v72/payments/{paymentPspReference}/captures → 201 { status: "received", pspReference, paymentPspReference }
 *                                                       (the authorised amount or less: a lower one is a partial capture)
 *   POST /v72/payments/{paymentPspReference}/cancels  → 201 { status: "received", ... }
 *   POST /v72/cancels                                 (by paymentReference) → 201 { status: "received", ... }
 *
 * Amounts are Adyen's minor units, by Adyen's currency table (docs.adyen.com/development-resources/
 * currency-codes: CLP and ISK with 2 decimals, CVE and IDR with none, where ISO 4217 says
 * otherwise): CLP 5000 is `{ currency: 'CLP', value: 500000 }`. Like Adyen, the simulator never
 * converts an amount: it reads the integer it is sent, so an amount made with other decimals is a
 * different amount (a partial capture when lower, refused when higher than the authorisation).
 *
 * Error answers have Adyen's shape (`status`, `errorCode`, `message`, `errorType`); the error
 * codes are the simulator's approximation. Scenario data: the result each `redirectResult` gives,
 * the state of each payment (by pspReference), and faults and latency per route
 * (`payments.details`, `payments.captures`, `payments.cancels`, `cancels`).
 *
 * Run standalone: `npx tsx scripts/simulators/adyen.ts` (ADYEN_SIMULATOR_PORT, default 8393; API key
 * `local-adyen-key` for merchant account `LocalDonations`); it prints its certificate.
 */
import { randomBytes } from 'node:crypto';
import { route, runStandalone, selfSignedCertificate, serve, type Answer, type Fault, type RecordedCall } from './common';

export type AdyenResultCode =
  | 'Authorised'
  | 'PartiallyAuthorised'
  | 'Pending'
  | 'Received'
  | 'Refused'
  | 'Error'
  | 'Cancelled'
  | 'RedirectShopper'
  | 'IdentifyShopper'
  | 'ChallengeShopper'
  | 'PresentToShopper'
  | 'AuthenticationFinished'
  | 'AuthenticationNotRequired';

/** One simulated payment, by its pspReference. */
export interface AdyenPaymentState {
  merchantAccount?: string;
  merchantReference?: string;
  resultCode: AdyenResultCode;
  amount?: { currency: string; value: number };
  /** Set by the simulator: what modifications were received. */
  captured?: boolean;
  /** Set by the simulator: the value captured (less than `amount.value` for a partial capture). */
  capturedValue?: number;
  cancelled?: boolean;
}

export interface AdyenScenario {
  /** redirectResult → the pspReference of the payment it completes. */
  redirects?: Record<string, string>;
  payments?: Record<string, AdyenPaymentState>;
  faults?: Record<string, Fault>;
}

export interface AdyenCredentials {
  apiKey: string;
  merchantAccount: string;
}

export interface AdyenSimulator {
  /** https://127.0.0.1:PORT: the adapter's `checkoutEndpoint`. */
  url: string;
  port: number;
  /** The PEM certificate the server presents: the adapter's `caCertificate`. */
  caCertificate: string;
  setPayment(pspReference: string, state: AdyenPaymentState): void;
  setRedirect(redirectResult: string, pspReference: string): void;
  setFault(routeName: string, fault: Fault): void;
  payment(pspReference: string): AdyenPaymentState | undefined;
  /** Cancels received by merchant reference (`/cancels`). */
  cancelledReferences(): string[];
  calls(): RecordedCall[];
  reset(): void;
  close(): Promise<void>;
}

const ROUTES = [
  route('payments.details', 'POST', '/v72/payments/details'),
  route('payments.captures', 'POST', '/v72/payments/:psp/captures'),
  route('payments.cancels', 'POST', '/v72/payments/:psp/cancels'),
  route('cancels', 'POST', '/v72/cancels'),
];

function adyenError(status: number, errorCode: string, message: string, errorType: string): Answer {
  return { status, body: { status, errorCode, message, errorType } };
}

const newPspReference = () => randomBytes(8).toString('hex').toUpperCase().slice(0, 16);

/** Starts the simulator on 127.0.0.1 with the API keys it accepts (`port` 0: any free port). */
export async function startAdyenSimulator({ port = 0, credentials }: { port?: number; credentials: AdyenCredentials[] }): Promise<AdyenSimulator> {
  const payments = new Map<string, AdyenPaymentState>();
  const redirects = new Map<string, string>();
  const faults = new Map<string, Fault>();
  let cancelledReferences: string[] = [];
  const tls = selfSignedCertificate();

  const server = await serve<AdyenScenario>({
    port,
    tls,
    routes: ROUTES,
    faults,
    scenario: {
      merge: (update) => {
        for (const [psp, state] of Object.entries(update.payments ?? {})) payments.set(psp, { ...state });
        for (const [redirect, psp] of Object.entries(update.redirects ?? {})) redirects.set(redirect, psp);
      },
      reset: () => {
        payments.clear();
        redirects.clear();
        cancelledReferences = [];
      },
    },
    authenticate: (request) => {
      const key = request.headers['x-api-key'];
      const known = credentials.find((c) => c.apiKey === key);
      if (!known) return { ok: false, refusal: adyenError(401, '000', 'HTTP Status Response - Unauthorized', 'security') };
      const merchantAccount = (request.body as { merchantAccount?: unknown } | null)?.merchantAccount;
      if (merchantAccount !== undefined && merchantAccount !== known.merchantAccount) {
        return { caller: known.merchantAccount, ok: false, refusal: adyenError(403, '901', 'Invalid Merchant Account', 'security') };
      }
      return { caller: known.merchantAccount, ok: true };
    },
    notFound: () => adyenError(404, '000', 'Not found', 'validation'),
    faultBody: (status) => adyenError(status, status >= 500 ? '905' : '000', status >= 500 ? 'Internal error' : 'Fault', status >= 500 ? 'internal' : 'validation').body,
    handle: (name, [psp], request, caller) => {
      const body = (request.body ?? {}) as Record<string, unknown>;
      if (name === 'payments.details') {
        const redirectResult = (body.details as { redirectResult?: unknown } | undefined)?.redirectResult;
        const reference = typeof redirectResult === 'string' ? redirects.get(redirectResult) : undefined;
        const payment = reference ? payments.get(reference) : undefined;
        if (!reference || !payment) return adyenError(422, '101', 'Invalid details provided', 'validation');
        return {
          status: 200,
          body: {
            resultCode: payment.resultCode,
            pspReference: reference,
            merchantReference: payment.merchantReference ?? reference,
            ...(payment.amount ? { amount: payment.amount } : {}),
            ...(payment.resultCode === 'Refused' ? { refusalReason: 'Refused', refusalReasonCode: '2' } : {}),
          },
        };
      }
      const reference = typeof body.reference === 'string' ? body.reference : undefined;
      if (name === 'cancels') {
        if (typeof body.paymentReference !== 'string') return adyenError(422, '100', 'Required field paymentReference not provided', 'validation');
        cancelledReferences.push(body.paymentReference);
        return { status: 201, body: { merchantAccount: caller, paymentReference: body.paymentReference, pspReference: newPspReference(), ...(reference ? { reference } : {}), status: 'received' } };
      }
      const payment = payments.get(psp!);
      if (!payment || (payment.merchantAccount !== undefined && payment.merchantAccount !== caller)) {
        return adyenError(422, '167', 'Original pspReference required for this operation', 'validation');
      }
      if (name === 'payments.captures') {
        const amount = body.amount as { currency?: unknown; value?: unknown } | undefined;
        if (payment.resultCode !== 'Authorised' || payment.cancelled) return adyenError(422, '167', 'Original pspReference required for this operation', 'validation');
        if (typeof amount?.value !== 'number' || !Number.isInteger(amount.value) || amount.value <= 0 || typeof amount.currency !== 'string') {
          return adyenError(422, '137', 'Invalid amount specified', 'validation');
        }
        if (payment.amount && (amount.currency !== payment.amount.currency || amount.value > payment.amount.value)) {
          return adyenError(422, '137', 'Invalid amount specified', 'validation');
        }
        payment.captured = true;
        payment.capturedValue = amount.value;
        return { status: 201, body: { merchantAccount: caller, paymentPspReference: psp, pspReference: newPspReference(), ...(reference ? { reference } : {}), status: 'received', amount } };
      }
      // payments.cancels
      payment.cancelled = true;
      return { status: 201, body: { merchantAccount: caller, paymentPspReference: psp, pspReference: newPspReference(), ...(reference ? { reference } : {}), status: 'received' } };
    },
  });

  return {
    url: server.url,
    port: server.port,
    caCertificate: tls.cert,
    setPayment: (psp, state) => payments.set(psp, { ...state }),
    setRedirect: (redirectResult, psp) => redirects.set(redirectResult, psp),
    setFault: (name, fault) => faults.set(name, { ...fault }),
    payment: (psp) => (payments.has(psp) ? { ...payments.get(psp)! } : undefined),
    cancelledReferences: () => [...cancelledReferences],
    calls: server.calls,
    reset: () => {
      payments.clear();
      redirects.clear();
      faults.clear();
      cancelledReferences = [];
      server.clearCalls();
    },
    close: server.close,
  };
}

if (require.main === module) {
  const port = Number(process.env.ADYEN_SIMULATOR_PORT ?? 8393);
  runStandalone(
    'Adyen simulator',
    () => startAdyenSimulator({ port, credentials: [{ apiKey: 'local-adyen-key', merchantAccount: 'LocalDonations' }] }),
    (simulator) => `Adyen Checkout simulator listening on ${simulator.url}; its certificate:\n${simulator.caCertificate}`,
  );
}
