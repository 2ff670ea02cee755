/**
 * Ingenico / Worldline Connect (the legacy `ingenico` gateway, formerly GlobalCollect), through
 * the official SDK `connect-sdk-nodejs` (Server API v1, V1HMAC-signed requests). One adapter per
 * gateway account: merchant id, API key id and secret API key, endpoint.
 *
 * Calls (SDK → Server API):
 *
 *   hostedcheckouts.get(merchantId, hostedCheckoutId)  GET  /v1/{merchantId}/hostedcheckouts/{id}
 *   payments.get(merchantId, paymentId)                GET  /v1/{merchantId}/payments/{id}
 *   payments.approve(merchantId, paymentId, {})        POST /v1/{merchantId}/payments/{id}/approve
 *   payments.cancel(merchantId, paymentId)             POST /v1/{merchantId}/payments/{id}/cancel
 *
 * A pending row names its payment by `gateway_txn_id` (the payment id) when the frontend had one,
 * else by `gateway_session_id` (the hosted checkout id, as the legacy frontend stored it); the
 * hosted checkout then gives the payment it created, if any.
 *
 * Approve sends no amount, so Connect captures the whole authorisation (as SmashPig's
 * approvePayment does): an `amount` there is a partial capture, and Connect counts it "in cents,
 * where single digit currencies are presumed to have 2 digits", not in the ISO minor unit of JPY
 * (0 decimals) or KWD (3). Before approving, the payment's own `paymentOutput.amountOfMoney` (in that
 * convention, money.ts `worldline`) must be the row's gross and currency: the rectifier pushes the
 * row's gross as the donation, so a payment authorised for anything else is left for a person
 * (PaymentAmountMismatchError). The approve carries the idempotence key
 * `rectify-approve-<paymentId>`; while Connect still handles an earlier attempt with that key it
 * answers 409 (1409 DUPLICATE_REQUEST_IN_PROGRESS), which is retryable (RequestInProgressError): a
 * later run sends it again and gets the first attempt's outcome.
 *
 * Status: `statusOutput.statusCode` first, by the legacy rectifier's code ranges (docs/processors.md
 * has the table); the `status` string only when a payment carries no code. Orphan mode: codes 0–70
 * ("waiting for the donor") count as failed. 200 (authenticated, legacy DO_FINISHPAYMENT, which
 * Connect has no call for) and 525 / PENDING_FRAUD_APPROVAL (challenged by the fraud rules) are
 * left for people (PaymentNeedsReviewError). Only credit cards (`payment_method=cc`) are settled,
 * as the legacy rectifier did.
 */
import type { Client as ConnectClient, Idempotence, SdkResponse } from 'connect-sdk-nodejs/lib/model';
import type { AmountOfMoney, ErrorResponse, GetHostedCheckoutResponse, Payment } from 'connect-sdk-nodejs/lib/v1/model/domain';
import * as z from 'zod';
import { MalformedMessageError } from '../errors';
import { redactText } from '../redact';
import { sameAmount } from './money';
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
import { httpFailureError, httpFailureKind, ProcessorUnavailableError, RequestInProgressError } from './processor-http';

/** Decision for one legacy status code range; `review`: a person decides. */
type CodeAction = PaymentStatus | 'review';

/**
 * The legacy rectifier's ranges (GlobalCollect GET_ORDERSTATUS, kept by Connect as
 * `statusOutput.statusCode`), with its orphan-mode override of 0–70 to failed.
 */
export const WORLDLINE_STATUS_CODES: ReadonlyArray<readonly [number, number, CodeAction, string]> = [
  [0, 10, 'failed', 'created, waiting for the donor (orphan: never completes)'],
  [15, 15, 'failed', 'refund failed'],
  [20, 70, 'failed', 'redirected / waiting for the donor (orphan: never completes)'],
  [100, 180, 'failed', 'rejected'],
  [200, 200, 'review', 'authenticated, legacy DO_FINISHPAYMENT (no Connect call): a person finishes it'],
  [220, 280, 'failed', 'authentication or authorisation failed'],
  [300, 300, 'pending', 'waiting for the processor'],
  [310, 350, 'failed', 'not authorised'],
  [400, 400, 'revised', 'revised'],
  [525, 525, 'review', 'challenged by the fraud rules (PENDING_FRAUD_APPROVAL): a person decides'],
  [550, 550, 'pending', 'waiting for the processor'],
  [600, 600, 'needs-approval', 'pending approval (PENDING_APPROVAL): approve'],
  [625, 650, 'pending', 'waiting for the processor'],
  [800, 975, 'complete', 'authorised and captured or being captured'],
  [1000, 1050, 'complete', 'paid'],
  [1100, 1520, 'failed', 'rejected or reversed'],
  [1800, 1800, 'refunded', 'refunded'],
  [1810, 2220, 'failed', 'refund or chargeback states'],
  [99999, 99999, 'cancelled', 'cancelled'],
];

/** Connect's `status` strings, for a payment without a status code (SmashPig's mapping, orphan mode). */
export const WORLDLINE_STATUSES: Readonly<Record<string, CodeAction>> = {
  CREATED: 'failed',
  REDIRECTED: 'failed',
  PENDING_PAYMENT: 'failed',
  ACCOUNT_VERIFIED: 'failed',
  AUTHORIZATION_REQUESTED: 'pending',
  PENDING_COMPLETION: 'review',
  PENDING_FRAUD_APPROVAL: 'review',
  PENDING_APPROVAL: 'needs-approval',
  PENDING_CAPTURE: 'needs-approval',
  CAPTURE_REQUESTED: 'complete',
  CAPTURED: 'complete',
  PAID: 'complete',
  REJECTED: 'failed',
  REJECTED_CAPTURE: 'failed',
  CANCELLED: 'cancelled',
  REVERSED: 'refunded',
  CHARGEBACKED: 'refunded',
  CHARGEBACK_NOTIFICATION: 'refunded',
  REFUND_REQUESTED: 'refunded',
  REFUNDED: 'refunded',
};

/** Hosted checkout statuses (`GetHostedCheckoutResponse.status`) without a payment. */
const HOSTED_CHECKOUT_STATUSES: Readonly<Record<string, PaymentStatus>> = {
  IN_PROGRESS: 'failed',
  CANCELLED_BY_CONSUMER: 'cancelled',
  CLIENT_NOT_ELIGIBLE_FOR_SELECTED_PAYMENT_PRODUCT: 'failed',
};

/** Statuses whose payment is never cancelled for a row whose contribution was already imported. */
const LEFT_ALONE_WHEN_IMPORTED: ReadonlySet<PaymentStatus> = new Set<PaymentStatus>(['complete', 'refunded', 'discard']);

/** A status code's decision; unknown codes are a ProcessorResponseError. */
export function worldlineStatusOfCode(code: number): CodeAction {
  for (const [low, high, action] of WORLDLINE_STATUS_CODES) if (code >= low && code <= high) return action;
  throw new ProcessorResponseError(`unknown Worldline status code ${code}`);
}

/** The rectifier's status of one Connect payment (code first, then `status`); review codes throw. */
export function worldlinePaymentStatus(payment: Payment): StatusResult {
  const code = payment.statusOutput?.statusCode;
  const statusText = payment.status ?? undefined;
  let action: CodeAction | undefined;
  if (typeof code === 'number') action = worldlineStatusOfCode(code);
  else if (statusText !== undefined) action = WORLDLINE_STATUSES[statusText];
  if (action === undefined) throw new ProcessorResponseError(`Worldline payment has no known status (${statusText ?? 'none'})`);
  const gatewayStatus = typeof code === 'number' ? String(code) : statusText;
  if (action === 'review') {
    throw new PaymentNeedsReviewError(`Worldline payment in status ${gatewayStatus} (${statusText ?? 'no status'}) is left for a person`);
  }
  return {
    status: action,
    gatewayStatus,
    ...(payment.id ? { gatewayTxnId: payment.id } : {}),
    ...(payment.statusOutput?.isCancellable === false ? { cancellable: false } : {}),
  };
}

export const worldlineAccount = z
  .object({
    merchantId: z.string().regex(/^\d+$/, 'must be the numeric merchant id'),
    apiKeyId: z.string().min(1, 'must be set'),
    secretApiKey: z.string().min(1, 'must be set'),
    /** Where the Server API is: https://world.api-ingenico.com (live) or the pre-production host. */
    endpoint: z
      .url({ protocol: /^https?$/, message: 'must be an http(s) URL' })
      .refine((url) => new URL(url).pathname === '/' && !new URL(url).search, 'must be an origin without path (the SDK adds /v1/…)'),
    integrator: z.string().min(1).default('donation-buffer'),
    /** Payment methods the rectifier settles for this account. */
    paymentMethods: z.array(z.string().min(1)).min(1).default(['cc']),
  })
  .strict();
export type WorldlineAccount = z.infer<typeof worldlineAccount>;

export interface WorldlineAdapterOptions extends WorldlineAccount {
  timeoutMs: number;
}

/** One Worldline Connect merchant account's adapter: statuses by the legacy code table, approve and cancel through the SDK. */
export class WorldlineAdapter implements ProcessorAdapter {
  readonly kind = 'worldline';
  readonly capabilities: ReadonlySet<Capability> = new Set<Capability>(['cancel', 'approve']);
  readonly paymentMethods: ReadonlySet<string>;
  private readonly client: ConnectClient;
  private readonly merchantId: string;
  private readonly timeoutMs: number;
  /** The amount of the payment getStatus read for a row, so that approve need not read it again. */
  private readonly amounts = new WeakMap<OrphanPayment, { paymentId: string; amountOfMoney: AmountOfMoney | null | undefined }>();

  constructor(options: WorldlineAdapterOptions) {
    const url = new URL(options.endpoint);
    const scheme = url.protocol === 'http:' ? 'http' : 'https';
    // Required on demand: processes without a Worldline account never load the SDK (cold start).
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const connectSdk = require('connect-sdk-nodejs') as typeof import('connect-sdk-nodejs');
    this.client = connectSdk.init({
      host: url.hostname,
      scheme,
      port: url.port ? Number(url.port) : scheme === 'https' ? 443 : 80,
      apiKeyId: options.apiKeyId,
      secretApiKey: options.secretApiKey,
      integrator: options.integrator,
      // The SDK's own log would carry request bodies; ours carries none.
      enableLogging: false,
    });
    this.merchantId = options.merchantId;
    this.timeoutMs = options.timeoutMs;
    this.paymentMethods = new Set(options.paymentMethods);
  }

  async getStatus(payment: OrphanPayment): Promise<StatusResult> {
    if (payment.gatewayTxnId) {
      const answer = await this.call('get payment', () => this.client.v1.payments.get(this.merchantId, payment.gatewayTxnId!), [404]);
      if (!answer.isSuccess) return { status: 'discard', gatewayStatus: 'payment-not-found' };
      return this.statusOf(payment, answer.body);
    }
    const checkout = await this.hostedCheckout(payment);
    if (checkout === null) return { status: 'discard', gatewayStatus: 'hosted-checkout-not-found' };
    const created = checkout.createdPaymentOutput?.payment;
    if (checkout.status === 'PAYMENT_CREATED' && created) return this.statusOf(payment, created);
    const status = checkout.status ? HOSTED_CHECKOUT_STATUSES[checkout.status] : undefined;
    if (!status) throw new ProcessorResponseError(`unknown Worldline hosted checkout status ${checkout.status ?? 'none'}`);
    // No payment exists: nothing to cancel.
    return { status, gatewayStatus: checkout.status!, cancellable: false };
  }

  /**
   * Approves the whole authorisation of a payment whose amount is the row's (see the header);
   * the payment's amount is the one getStatus read for this row, else read now.
   */
  async approve(payment: OrphanPayment, status: StatusResult): Promise<CompletionResult> {
    const paymentId = status.gatewayTxnId ?? payment.gatewayTxnId;
    if (!paymentId) throw new ProcessorResponseError('Worldline payment to approve has no payment id');
    const read = this.amounts.get(payment);
    const amountOfMoney = read?.paymentId === paymentId ? read.amountOfMoney : await this.amountOf(paymentId);
    if (!sameAmount(payment.message, { value: amountOfMoney?.amount, currency: amountOfMoney?.currencyCode }, 'worldline')) {
      // Also when Connect reported no amount: what would be captured is then not known.
      throw new PaymentAmountMismatchError(`Worldline payment ${paymentId} is not authorised for the pending row's amount and currency: not approved`);
    }
    const idempotence: Idempotence = { key: `rectify-approve-${paymentId}` };
    const answer = await this.call('approve payment', () => this.client.v1.payments.approve(this.merchantId, paymentId, {}, { idempotence }), [], idempotence);
    const approved = answer.isSuccess ? answer.body.payment : undefined;
    if (!approved) throw new ProcessorResponseError('Worldline approve answer has no payment');
    const result = worldlinePaymentStatus(approved);
    if (result.status !== 'complete') {
      throw new ProcessorResponseError(`approve left the Worldline payment in status ${result.gatewayStatus} (${result.status}), not complete`);
    }
    return { gatewayTxnId: approved.id ?? paymentId, gatewayStatus: result.gatewayStatus };
  }

  /**
   * Cancels what the processor holds for this row. Without `status` (the contribution was
   * imported by another path) the payment's status is read first, and a payment that is complete,
   * refunded, unknown or held for review is left alone: it may be the very payment imported
   * (Connect still cancels a payment in CAPTURE_REQUESTED), and only a leftover attempt is voided.
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
      if (LEFT_ALONE_WHEN_IMPORTED.has(known.status)) return;
    }
    if (known.cancellable === false) return;
    const paymentId = known.gatewayTxnId ?? payment.gatewayTxnId ?? undefined;
    if (!paymentId) return;
    await this.call('cancel payment', () => this.client.v1.payments.cancel(this.merchantId, paymentId), []);
  }

  private async amountOf(paymentId: string): Promise<AmountOfMoney | null | undefined> {
    const answer = await this.call('get payment', () => this.client.v1.payments.get(this.merchantId, paymentId));
    return answer.isSuccess ? answer.body.paymentOutput?.amountOfMoney : undefined;
  }

  private statusOf(payment: OrphanPayment, read: Payment): StatusResult {
    const status = worldlinePaymentStatus(read);
    if (read.id) this.amounts.set(payment, { paymentId: read.id, amountOfMoney: read.paymentOutput?.amountOfMoney });
    return status;
  }

  private async hostedCheckout(payment: OrphanPayment): Promise<GetHostedCheckoutResponse | null> {
    const id = payment.message.gateway_session_id;
    if (typeof id !== 'string' || id === '') {
      throw new MalformedMessageError('pending row has neither gateway_txn_id nor gateway_session_id: Worldline needs a payment or hosted checkout id');
    }
    const answer = await this.call('get hosted checkout', () => this.client.v1.hostedcheckouts.get(this.merchantId, id), [404]);
    return answer.isSuccess ? answer.body : null;
  }

  /**
   * One SDK call with our timeout and error classes: unreachable, timed out or refused
   * credentials (401/403: every row would fail alike) → ProcessorUnavailableError; every other
   * failed answer by the shared status rule (processor-http.ts `httpFailureKind`: 502–504, and
   * another 5xx or 429 whose body is not Connect's JSON → ProcessorUnavailableError; another 5xx or
   * 429 → ProcessorTemporaryError); statuses in `accept` are answered; a request sent with an
   * `idempotence` key that Connect is still handling (409, error 1409) → RequestInProgressError
   * (retryable); any other error answer → ProcessorResponseError with the processor's error codes
   * (never credentials or donor data).
   */
  private async call<T>(
    what: string,
    send: () => Promise<SdkResponse<T, ErrorResponse>>,
    accept: number[] = [],
    idempotence?: Idempotence,
  ): Promise<SdkResponse<T, ErrorResponse>> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new ProcessorUnavailableError(`Worldline ${what}: no answer within ${this.timeoutMs} ms`)), this.timeoutMs);
      timer.unref();
    });
    let answer: SdkResponse<T, ErrorResponse>;
    try {
      answer = await Promise.race([send(), timeout]);
    } catch (error) {
      if (error instanceof ProcessorUnavailableError) throw error;
      const err = (error ?? {}) as { code?: unknown; status?: unknown };
      // The SDK rejects an answer whose body is not JSON with its HTTP status attached.
      if (typeof err.status === 'number') {
        const kind = err.status >= 200 && err.status < 300 ? 'refused' : httpFailureKind(err.status, false);
        throw httpFailureError(kind, `Worldline ${what}: HTTP ${err.status}, answer is not JSON`);
      }
      const code = typeof err.code === 'string' ? ` (${err.code})` : '';
      throw new ProcessorUnavailableError(`Worldline ${what}: processor unreachable${code}`, { cause: error });
    } finally {
      clearTimeout(timer);
    }
    if (answer.isSuccess || accept.includes(answer.status)) return answer;
    const reason = describeWorldlineErrors(answer.body);
    if (answer.status === 409 && idempotence && isDuplicateRequestInProgress(answer.body)) {
      // The SDK sets requestTimestamp from X-GCS-Idempotence-Request-Timestamp: when the first attempt was made.
      const first = Number(idempotence.requestTimestamp);
      const since = idempotence.requestTimestamp !== undefined && Number.isFinite(first) ? `, first attempt at ${new Date(first).toISOString()}` : '';
      throw new RequestInProgressError(`Worldline ${what}: HTTP 409: ${reason}: the request with idempotence key ${idempotence.key} is still being handled${since}; a later run asks again`);
    }
    if (answer.status === 401 || answer.status === 403) {
      throw new ProcessorUnavailableError(`Worldline ${what}: HTTP ${answer.status} (credentials refused): ${reason}`);
    }
    // The SDK hands over a body that is neither JSON nor text (no Connect answer) as a binary file.
    const connectAnswered = !('file' in answer);
    throw httpFailureError(httpFailureKind(answer.status, connectAnswered), `Worldline ${what}: HTTP ${answer.status}: ${connectAnswered ? reason : 'answer is not JSON'}`);
  }
}

/**
 * Connect's answer to a second attempt of an idempotent request whose first is not finished
 * (1409 DUPLICATE_REQUEST_IN_PROGRESS), recognised as Connect's own SDKs do (the Java, .NET, PHP
 * and Go SDKs raise IdempotenceException for a 409 whose only error has code 1409 on a request
 * sent with an idempotence key; the Node SDK just returns the answer).
 */
function isDuplicateRequestInProgress(body: ErrorResponse | null | undefined): boolean {
  const errors = body?.errors ?? [];
  return errors.length === 1 && errors[0]?.code === '1409';
}

/** The error codes of a Connect error answer, for error texts a person can act on (messages redacted and cut). */
export function describeWorldlineErrors(body: ErrorResponse | null | undefined): string {
  const errors = body?.errors ?? [];
  if (errors.length === 0) return 'no reason given';
  return errors
    .slice(0, 3)
    .map((e) => `${e.code ?? '?'}${e.message ? ` ${redactText(e.message).slice(0, 200)}` : ''}`)
    .join('; ');
}

/** The registry entry: a `worldline` gateway needs at least one account (no defaults). */
export const worldlineKind: AdapterKind<WorldlineAccount> = {
  kind: 'worldline',
  account: worldlineAccount,
  create: (account, shared) => new WorldlineAdapter({ ...account, timeoutMs: shared.timeoutMs }),
};
