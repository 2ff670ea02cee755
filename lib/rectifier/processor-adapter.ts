/**
 * What the orphan rectifier needs from a payment processor, and nothing processor-specific.
 *
 * An adapter translates one processor's API into a small set of statuses and declares the
 * actions it can take; the rectifier decides from those alone, so adding a processor means
 * writing an adapter, never touching the algorithm.
 */
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
  /** The whole pending message (amount, currency, session token…). */
  message: Record<string, unknown>;
}

export interface ProcessorAdapter {
  /** What this adapter is (for logs), e.g. `hosted-payment`. */
  readonly kind: string;
  readonly capabilities: ReadonlySet<Capability>;
  /** The status of an orphaned payment (orphan mode: a donor who never came back). */
  getStatus(payment: OrphanPayment): Promise<StatusResult>;
  cancel?(payment: OrphanPayment): Promise<void>;
  approve?(payment: OrphanPayment, status: StatusResult): Promise<CompletionResult>;
  finish?(payment: OrphanPayment, status: StatusResult): Promise<CompletionResult>;
}

/** The processor answered with an error about this payment: the row goes to `damaged`. */
export class ProcessorResponseError extends PermanentError {}

/**
 * The rectifier was told to take an action the adapter does not declare: a configuration or
 * adapter bug, not an outage; the row goes to `damaged` for a person.
 */
export class UnsupportedActionError extends BufferError {}

/** True when `adapter` declares `capability` and implements it. */
export function can(adapter: ProcessorAdapter, capability: Capability): boolean {
  return adapter.capabilities.has(capability) && typeof adapter[capability] === 'function';
}
