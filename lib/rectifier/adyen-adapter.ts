/**
 * Adyen Checkout, through the official `@adyen/api-library` (Checkout API, the version the
 * library pins; `X-API-Key` authentication). One adapter per gateway account: API key and
 * merchant account, TEST or LIVE (with the account's live URL prefix).
 *
 * What the Checkout API offers for an orphan (a donor who never came back from a redirect):
 * there is no call that reads a payment's status; Adyen reports outcomes by webhook. So:
 *
 * - the row carries `redirect_result` (the donor reached the return URL but the frontend never
 *   finished): `POST /payments/details` with it answers the `resultCode` and `pspReference`;
 * - else the row carries the `pspReference` (`gateway_txn_id`) and the `resultCode` the
 *   `/payments` call answered (`gateway_status`): that result code is the last known status;
 * - else nothing is known: in orphan mode the payment never completes, so it counts as failed and
 *   is cancelled by our own reference (`POST /cancels` with `paymentReference` = `order_id`),
 *   which voids any authorisation that might still arrive and does nothing otherwise.
 *
 * Authorised: with manual capture (the default, as the legacy flow captured after its fraud
 * checks) the payment needs finishing: `POST /payments/{pspReference}/captures`; with automatic
 * capture it is complete. Cancels: `POST /payments/{pspReference}/cancels`, or `/cancels` by
 * reference. Both are asynchronous at Adyen (`status: received`; the webhook confirms).
 * PartiallyAuthorised is left for people. Only `payment_method=cc` rows are settled by default.
 *
 * Amounts are in Adyen's minor units, by Adyen's currency table (money.ts, `adyen`: CLP and ISK
 * have 2 decimals there, CVE and IDR none). A capture is for the row's gross; when
 * `/payments/details` reported the authorised amount and it is not the row's, nothing is
 * captured (PaymentAmountMismatchError): Adyen would capture a lower amount in part and refuse a
 * higher one, and either way the donation pushed would not be the money taken.
 */
import type { ModificationsApi } from '@adyen/api-library/lib/src/services/checkout/modificationsApi';
import type { PaymentsApi } from '@adyen/api-library/lib/src/services/checkout/paymentsApi';
import * as z from 'zod';
import { redactText } from '../redact';
import { minorUnits, sameAmount } from './money';
import {
  PaymentAmountMismatchError,
  PaymentNeedsReviewError,
  ProcessorResponseError,
  type AdapterKind,
  type Capability,
  type CompletionResult,
  type OrphanPayment,
  type PaymentStatus,
  type ProcessorAdapter,
  type StatusResult,
} from './processor-adapter';
import { httpFailureError, httpFailureKind, isJsonAnswer, ProcessorUnavailableError } from './processor-http';

type ResultAction = PaymentStatus | 'review' | 'authorised';

/** Every Checkout `resultCode` and what it means for an orphan. */
export const ADYEN_RESULT_CODES: Readonly<Record<string, { action: ResultAction; cancellable: boolean; why: string }>> = {
  Authorised: { action: 'authorised', cancellable: true, why: 'authorised: capture (manual capture) or complete (automatic)' },
  Success: { action: 'complete', cancellable: false, why: 'processed (methods without separate capture): complete' },
  PartiallyAuthorised: { action: 'review', cancellable: true, why: 'part of the amount authorised: a person decides' },
  Pending: { action: 'pending', cancellable: false, why: 'final result not known yet (asynchronous method): the webhook decides' },
  Received: { action: 'pending', cancellable: false, why: 'received, being processed: the webhook decides' },
  Refused: { action: 'failed', cancellable: false, why: 'refused: nothing to cancel' },
  Error: { action: 'failed', cancellable: false, why: 'error during processing: nothing to cancel' },
  Cancelled: { action: 'cancelled', cancellable: false, why: 'cancelled already' },
  RedirectShopper: { action: 'failed', cancellable: true, why: 'donor left at the redirect: cancel by reference' },
  IdentifyShopper: { action: 'failed', cancellable: true, why: 'donor left during 3D Secure: cancel' },
  ChallengeShopper: { action: 'failed', cancellable: true, why: 'donor left during the 3D Secure challenge: cancel' },
  PresentToShopper: { action: 'failed', cancellable: true, why: 'voucher or QR code never paid: cancel' },
  AuthenticationFinished: { action: 'failed', cancellable: true, why: '3D Secure only, never authorised: cancel' },
  AuthenticationNotRequired: { action: 'failed', cancellable: true, why: '3D Secure only, never authorised: cancel' },
};

export const adyenAccount = z
  .object({
    apiKey: z.string().min(1, 'must be set'),
    merchantAccount: z.string().min(1, 'must be set'),
    environment: z.enum(['TEST', 'LIVE'], { message: 'must be TEST or LIVE' }).default('TEST'),
    /** LIVE only: the prefix of the account's live endpoints (Customer Area → API URLs). */
    liveEndpointUrlPrefix: z.string().regex(/^[a-z0-9-]+$/, 'must be the live URL prefix (letters, digits, dashes)').optional(),
    /** Another Checkout origin (the local simulator); the library's API version path is kept. */
    checkoutEndpoint: z.url({ protocol: /^https$/, message: 'must be an https URL (the library speaks only https)' }).optional(),
    /** A PEM CA to trust for `checkoutEndpoint` (the local simulator's own certificate). */
    caCertificate: z.string().startsWith('-----BEGIN CERTIFICATE-----', 'must be a PEM certificate').optional(),
    capture: z.enum(['manual', 'automatic'], { message: 'must be manual or automatic' }).default('manual'),
    paymentMethods: z.array(z.string().min(1)).min(1).default(['cc']),
  })
  .strict()
  .refine((a) => a.environment !== 'LIVE' || a.liveEndpointUrlPrefix !== undefined, {
    message: 'must be set for environment LIVE',
    path: ['liveEndpointUrlPrefix'],
  });
export type AdyenAccount = z.infer<typeof adyenAccount>;

export interface AdyenAdapterOptions extends AdyenAccount {
  timeoutMs: number;
}

/** The rectifier's status for a result code (orphan mode); review codes throw, unknown codes are refused. */
export function adyenStatus(resultCode: string, { manualCapture }: { manualCapture: boolean }): { status: PaymentStatus; cancellable: boolean } {
  const entry = ADYEN_RESULT_CODES[resultCode];
  if (!entry) throw new ProcessorResponseError(`unknown Adyen resultCode ${resultCode.slice(0, 40)}`);
  if (entry.action === 'review') throw new PaymentNeedsReviewError(`Adyen payment ${resultCode} is left for a person`);
  if (entry.action === 'authorised') return { status: manualCapture ? 'needs-finishing' : 'complete', cancellable: true };
  return { status: entry.action, cancellable: entry.cancellable };
}

/** One Adyen merchant account's adapter: the last known result code, captures and cancels through the library. */
export class AdyenAdapter implements ProcessorAdapter {
  readonly kind = 'adyen';
  readonly capabilities: ReadonlySet<Capability> = new Set<Capability>(['cancel', 'finish']);
  readonly paymentMethods: ReadonlySet<string>;
  private readonly payments: PaymentsApi;
  private readonly modifications: ModificationsApi;
  private readonly merchantAccount: string;
  private readonly manualCapture: boolean;
  /** The authorised amount `/payments/details` reported for a row, for its capture. */
  private readonly authorised = new WeakMap<OrphanPayment, { pspReference: string | undefined; amount: { value?: unknown; currency?: unknown } }>();

  constructor(options: AdyenAdapterOptions) {
    // Required on demand, the library's files one by one (its index loads every API it has):
    // processes without an Adyen account never load it (cold start).
    /* eslint-disable @typescript-eslint/no-require-imports */
    const Client = (require('@adyen/api-library/lib/src/client') as typeof import('@adyen/api-library/lib/src/client')).default;
    const HttpURLConnectionClient = (
      require('@adyen/api-library/lib/src/httpClient/httpURLConnectionClient') as typeof import('@adyen/api-library/lib/src/httpClient/httpURLConnectionClient')
    ).default;
    const { PaymentsApi } = require('@adyen/api-library/lib/src/services/checkout/paymentsApi') as typeof import('@adyen/api-library/lib/src/services/checkout/paymentsApi');
    const { ModificationsApi } = require('@adyen/api-library/lib/src/services/checkout/modificationsApi') as typeof import('@adyen/api-library/lib/src/services/checkout/modificationsApi');
    /* eslint-enable @typescript-eslint/no-require-imports */
    const http = new HttpURLConnectionClient();
    if (options.caCertificate) {
      // The library has no public setting for a private CA; its agent options are what it reads.
      (http as unknown as { agentOptions: { ca: string } }).agentOptions = { ca: options.caCertificate };
    }
    const client = new Client(
      {
        apiKey: options.apiKey,
        environment: options.environment as never,
        ...(options.liveEndpointUrlPrefix ? { liveEndpointUrlPrefix: options.liveEndpointUrlPrefix } : {}),
        connectionTimeoutMillis: options.timeoutMs,
        applicationName: 'donation-buffer',
      },
      http,
    );
    this.payments = new PaymentsApi(client);
    this.modifications = new ModificationsApi(client);
    if (options.checkoutEndpoint) {
      pointAt(this.payments, options.checkoutEndpoint);
      pointAt(this.modifications, options.checkoutEndpoint);
    }
    this.merchantAccount = options.merchantAccount;
    this.manualCapture = options.capture === 'manual';
    this.paymentMethods = new Set(options.paymentMethods);
  }

  async getStatus(payment: OrphanPayment): Promise<StatusResult> {
    const redirectResult = payment.message.redirect_result;
    if (typeof redirectResult === 'string' && redirectResult !== '') {
      const answer = await this.call('payment details', () => this.payments.paymentsDetails({ details: { redirectResult } }));
      if (!answer.resultCode) throw new ProcessorResponseError('Adyen payment details answer has no resultCode');
      const pspReference = answer.pspReference ?? payment.gatewayTxnId ?? undefined;
      if (answer.amount) this.authorised.set(payment, { pspReference, amount: answer.amount });
      return this.toStatus(String(answer.resultCode), pspReference);
    }
    const known = payment.message.gateway_status;
    if (payment.gatewayTxnId && typeof known === 'string' && known !== '') return this.toStatus(known, payment.gatewayTxnId);
    return { status: 'failed', gatewayStatus: 'no-result', ...(payment.gatewayTxnId ? { gatewayTxnId: payment.gatewayTxnId } : {}) };
  }

  async finish(payment: OrphanPayment, status: StatusResult): Promise<CompletionResult> {
    const pspReference = status.gatewayTxnId ?? payment.gatewayTxnId;
    if (!pspReference) throw new ProcessorResponseError('Adyen payment to capture has no pspReference');
    const amount = minorUnits(payment.message, 'adyen');
    const authorised = this.authorised.get(payment);
    if (authorised && authorised.pspReference === pspReference && !sameAmount(payment.message, authorised.amount, 'adyen')) {
      throw new PaymentAmountMismatchError(`Adyen payment ${pspReference} is authorised for another amount or currency than the pending row's: not captured`);
    }
    const answer = await this.call('capture', () =>
      this.modifications.captureAuthorisedPayment(
        pspReference,
        { merchantAccount: this.merchantAccount, amount, reference: this.reference(payment) },
        { idempotencyKey: `rectify-capture-${pspReference}` },
      ),
    );
    if (String(answer.status) !== 'received') throw new ProcessorResponseError(`Adyen capture answered status ${String(answer.status)}, not received`);
    return { gatewayTxnId: answer.paymentPspReference ?? pspReference, gatewayStatus: 'Authorised, capture received' };
  }

  /**
   * Cancels what Adyen holds for this row. Without `status` (the contribution was imported by
   * another path) the last known status is read first, and a payment that is complete or held for
   * review is left alone. A cancel reaches only authorisations not yet captured: Adyen refuses to
   * cancel a captured payment (asynchronously), so a cancel by reference cannot void a donation.
   */
  async cancel(payment: OrphanPayment, status?: StatusResult): Promise<void> {
    let known = status;
    if (!known) {
      try {
        known = await this.getStatus(payment);
      } catch (error) {
        if (error instanceof PaymentNeedsReviewError) return;
        throw error;
      }
      if (known.status === 'complete' || known.status === 'refunded' || known.status === 'discard') return;
    }
    if (known.cancellable === false) return;
    const pspReference = known.gatewayTxnId ?? payment.gatewayTxnId;
    const reference = this.reference(payment);
    if (pspReference) {
      await this.call('cancel', () =>
        this.modifications.cancelAuthorisedPaymentByPspReference(pspReference, { merchantAccount: this.merchantAccount, reference }, { idempotencyKey: `rectify-cancel-${pspReference}` }),
      );
      return;
    }
    if (!payment.orderId) throw new ProcessorResponseError('Adyen payment to cancel has neither pspReference nor order_id');
    await this.call('cancel by reference', () =>
      this.modifications.cancelAuthorisedPayment(
        { merchantAccount: this.merchantAccount, paymentReference: payment.orderId!, reference },
        { idempotencyKey: `rectify-cancel-${payment.orderId}` },
      ),
    );
  }

  private toStatus(resultCode: string, pspReference: string | undefined): StatusResult {
    const { status, cancellable } = adyenStatus(resultCode, { manualCapture: this.manualCapture });
    return { status, gatewayStatus: resultCode, cancellable, ...(pspReference ? { gatewayTxnId: pspReference } : {}) };
  }

  /** Our reference for a modification: the order id, so that Adyen's reports match our rows. */
  private reference(payment: OrphanPayment): string {
    return `rectify-${payment.orderId ?? payment.gatewayTxnId ?? 'unknown'}`;
  }

  /**
   * One library call with our error classes: unreachable, timed out or refused credentials
   * (401/403) → ProcessorUnavailableError; every other error answer by the shared status rule
   * (processor-http.ts `httpFailureKind`: 502–504, and another 5xx or 429 whose body is not JSON →
   * ProcessorUnavailableError; another 5xx or 429 → ProcessorTemporaryError; any other →
   * ProcessorResponseError) with Adyen's error code (no donor data, no key).
   */
  private async call<T>(what: string, send: () => Promise<T>): Promise<T> {
    try {
      return await send();
    } catch (error) {
      const err = (error ?? {}) as { name?: unknown; statusCode?: unknown; errorCode?: unknown; apiError?: { message?: unknown }; responseBody?: unknown };
      // The library reports a connection failure or its own timeout as an ApiException with status 500:
      // no answer came, so it is an outage, not the processor failing this request.
      const status = typeof err.statusCode === 'number' && err.name !== 'ApiException' ? err.statusCode : undefined;
      const code = typeof err.errorCode === 'string' ? ` errorCode ${err.errorCode}` : '';
      const text = typeof err.apiError?.message === 'string' ? `: ${redactText(err.apiError.message).slice(0, 200)}` : '';
      if (status === undefined || status === 401 || status === 403) {
        const reason = status === undefined ? 'processor unreachable or no answer in time' : `HTTP ${status} (credentials refused)`;
        throw new ProcessorUnavailableError(`Adyen ${what}: ${reason}${code}${text}`, { cause: error });
      }
      const body = typeof err.responseBody === 'string' ? err.responseBody : '';
      const json = err.apiError !== undefined || isJsonAnswer(body);
      throw httpFailureError(httpFailureKind(status, json), `Adyen ${what}: HTTP ${status}${code}${json ? text : ', answer is not JSON'}`, { cause: error });
    }
  }
}

/** Sends a library service's requests to `origin`, keeping the service's API version path. */
function pointAt(service: PaymentsApi | ModificationsApi, origin: string): void {
  const target = service as unknown as { baseUrl: string };
  target.baseUrl = `${origin.replace(/\/$/, '')}${new URL(target.baseUrl).pathname}`;
}

/** The registry entry: an `adyen` gateway needs at least one account (no defaults). */
export const adyenKind: AdapterKind<AdyenAccount> = {
  kind: 'adyen',
  account: adyenAccount,
  create: (account, shared) => new AdyenAdapter({ ...account, timeoutMs: shared.timeoutMs }),
};
