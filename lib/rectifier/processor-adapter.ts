/**
 * What the orphan rectifier needs from a payment processor, and nothing processor-specific.
 *
 * An adapter translates one processor's API into a small set of statuses and declares the
 * actions it can take; the rectifier decides from those alone, so adding a processor means
 * writing one adapter file (the adapter and its `AdapterKind`: the settings schema of one
 * gateway account and a factory) and listing that kind in the registry (adapters.ts), then
 * configuring accounts (`PROCESSOR_ACCOUNTS`, docs/processors.md). The algorithm never changes.
 *
 * The contract, member by member:
 *
 * - `kind` (required): the registry name, for logs.
 * - `capabilities` (required): which of `cancel`, `approve`, `finish` the rectifier may call;
 *   a status that needs an undeclared action sends the row to `damaged` (UnsupportedActionError).
 * - `getStatus(payment)` (required): the payment's status in orphan mode (the donor never came
 *   back, so "waiting for the donor" means "will never complete"). It throws
 *   PaymentNeedsReviewError when a person must decide (antifraud review, partial authorisation).
 * - `cancel?(payment, status?)`: voids what the processor holds. `status` is what `getStatus`
 *   answered for this row when it was asked (absent for an already-imported row); an adapter uses
 *   its `gatewayTxnId` and `cancellable` to find or skip the processor's payment.
 * - `approve?(payment, status)`, `finish?(payment, status)`: capture a payment waiting for the
 *   merchant; they resolve only when the payment is complete.
 * - `paymentMethods?` (optional): the `payment_method` values this adapter can settle. The
 *   rectifier walks only rows of those methods and never touches the others (a bank transfer
 *   that is still under way must never be cancelled). Absent: every method.
 *
 * Errors: an unreachable or down processor is an InfrastructureError (the run stops, the row
 * stays), a processor failing one request (HTTP 500, another 5xx or 429 from its API) a
 * RetryableError (the row waits in `damaged` for a retry), a refusal a PermanentError (the row goes
 * to `damaged` for a person); processor-http.ts `httpFailureKind` is the status rule they share.
 * No error text carries credentials or donor data.
 *
 * Members added later are optional, so that an adapter written against an earlier version of
 * this interface still compiles.
 */
import type * as z from 'zod';
import { BufferError, PermanentError } from '../errors';

/** The processor's view of a payment, reduced to what decides the rectifier's next step. */
export type PaymentStatus =
  /** Money taken: push the donation. */
  | 'complete'
  /** The donor approved but the merchant must capture/finish it; then push. */
  | 'needs-finishing'
  /** Waiting for the merchant's approval (e.g. after a fraud check); approve, then push. */
  | 'needs-approval'
  /** Nothing was charged and nothing will be: cancel when the adapter can. */
  | 'failed'
  | 'cancelled'
  /** Changed after the fact (e.g. amount revised): cancel, a person follows up in the console. */
  | 'revised'
  /** Money given back: nothing to push and nothing to cancel. */
  | 'refunded'
  /** Still open at the processor: nothing is charged; the row is resolved like every other. */
  | 'pending'
  /** The processor never heard of it or forgot it (expired): resolve quietly. */
  | 'discard';

export interface StatusResult {
  status: PaymentStatus;
  /** The processor's transaction id when it knows one. */
  gatewayTxnId?: string;
  /** The processor's own status text or code, for the donation message and logs. */
  gatewayStatus?: string;
  /** False when the processor says nothing can be cancelled (cancel then sends no request). */
  cancellable?: boolean;
}

/** The result of finishing or approving: the payment is now complete. */
export interface CompletionResult {
  gatewayTxnId?: string;
  gatewayStatus?: string;
}

/** Actions beyond asking for a status that an adapter may implement. */
export type Capability = 'cancel' | 'approve' | 'finish';

/** A pending payment as the rectifier hands it to an adapter. */
export interface OrphanPayment {
  gateway: string;
  orderId: string | null;
  gatewayTxnId: string | null;
  /** The whole pending message (amount, currency, session token, gateway_account…). */
  message: Record<string, unknown>;
}

export interface ProcessorAdapter {
  /** What this adapter is (for logs), e.g. `hosted-payment`. */
  readonly kind: string;
  readonly capabilities: ReadonlySet<Capability>;
  /** The `payment_method` values this adapter settles; absent: all (see the header). */
  readonly paymentMethods?: ReadonlySet<string>;
  /** The status of an orphaned payment (orphan mode: a donor who never came back). */
  getStatus(payment: OrphanPayment): Promise<StatusResult>;
  cancel?(payment: OrphanPayment, status?: StatusResult): Promise<void>;
  approve?(payment: OrphanPayment, status: StatusResult): Promise<CompletionResult>;
  finish?(payment: OrphanPayment, status: StatusResult): Promise<CompletionResult>;
}

/** What every adapter of a run shares, whatever its account. */
export interface SharedAdapterOptions {
  /** Per processor request. */
  timeoutMs: number;
}

/**
 * One entry of the registry of adapter kinds: how the settings of one gateway account are
 * validated (`account`, a zod schema whose messages name fields, never values) and how an
 * adapter is built from them. `defaults` builds the settings of a gateway configured without
 * accounts (`RECTIFY_ADAPTERS` alone); a kind without it needs at least one account.
 */
export interface AdapterKind<Account = unknown> {
  readonly kind: string;
  readonly account: z.ZodType<Account>;
  readonly defaults?: () => Account;
  create(account: Account, shared: SharedAdapterOptions): ProcessorAdapter;
}

/** The processor answered with an error about this payment: the row goes to `damaged`. */
export class ProcessorResponseError extends PermanentError {}

/**
 * The processor holds the payment for a person's decision (antifraud review, a partial
 * authorisation, a status the legacy rectifier left to people): the row goes to `damaged`,
 * where the console shows it, and the rectifier takes no action at the processor.
 */
export class PaymentNeedsReviewError extends PermanentError {}

/**
 * The processor holds the payment for another amount or currency than the pending row's: the
 * rectifier neither approves nor captures it, since the donation it would push would not be the
 * money taken. A person decides; the text names the payment, not the amounts.
 */
export class PaymentAmountMismatchError extends PaymentNeedsReviewError {}

/**
 * The rectifier was told to take an action the adapter does not declare: a configuration or
 * adapter bug, not an outage; the row goes to `damaged` for a person.
 */
export class UnsupportedActionError extends BufferError {}

/** True when `adapter` declares `capability` and implements it. */
export function can(adapter: ProcessorAdapter, capability: Capability): boolean {
  return adapter.capabilities.has(capability) && typeof adapter[capability] === 'function';
}

/** True when the adapter settles this payment method (rows of other methods are left alone). */
export function settlesMethod(adapter: ProcessorAdapter, paymentMethod: unknown): boolean {
  return adapter.paymentMethods === undefined || (typeof paymentMethod === 'string' && adapter.paymentMethods.has(paymentMethod));
}
