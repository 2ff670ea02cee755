/**
 * PayPal Express Checkout over the classic NVP API, for the legacy flow: the pending message's
 * `gateway_session_id` is the checkout's EC-… token.
 *
 *   GetExpressCheckoutDetails(TOKEN)   → CHECKOUTSTATUS, PAYERID (present once the donor
 *                                        approved), PAYMENTREQUEST_0_TRANSACTIONID once paid
 *   GetTransactionDetails(TRANSACTIONID) → PAYMENTSTATUS, PENDINGREASON of that payment
 *   DoExpressCheckoutPayment(TOKEN, PAYERID, PAYMENTREQUEST_0_AMT, _CURRENCYCODE,
 *                            _PAYMENTACTION=Sale, _INVNUM=order_id)
 *                                      → PAYMENTINFO_0_TRANSACTIONID, PAYMENTINFO_0_PAYMENTSTATUS
 *
 * An orphan is discarded when its token is unknown or expired (10410, 10411) or the donor never
 * approved it (no PAYERID). PaymentActionCompleted says only that the payment action ran: the
 * checkout answer carries the transaction id but no payment status (NVP API Developer Guide,
 * GetExpressCheckoutDetails response fields), and a payment DoExpressCheckoutPayment left Pending
 * (an eCheck, a review) may still fail. So its transaction's PAYMENTSTATUS (GetTransactionDetails)
 * decides: Completed or Processed → complete, Pending or In-Progress → looked at again later,
 * Denied, Failed, Expired or Voided → failed, Refunded or Reversed → refunded, a partial refund or
 * a cancelled reversal → a person (nvpPaymentStatus). Approved but not paid → finish with
 * DoExpressCheckoutPayment, for the pending row's amount only (PayPal would accept up to 115% of
 * the approved amount; another amount goes to a person). A second DoExpressCheckoutPayment for the same token (10415, or the
 * duplicate codes 11607 and 10412 for the same invoice id) means it is already paid: the payment
 * is read back instead of charged again. Recurring donations are never charged here: an
 * approved recurring checkout needs CreateRecurringPaymentsProfile with the exact billing
 * agreement description of its SetExpressCheckout, which the pending message does not carry,
 * so it goes to a person (PayPalNeedsPersonError). See docs/processors-paypal.md.
 */
import { MalformedMessageError } from '../errors';
import { isRecurring, PayPalNeedsPersonError, PayPalStillProcessingError, paypalAmount, sameAmount } from './paypal-common';
import { nvpFailure, nvpSucceeded, PayPalNvpClient, type NvpAnswer, type PayPalNvpOptions } from './paypal-nvp-client';
import {
  ProcessorResponseError,
  type Capability,
  type CompletionResult,
  type OrphanPayment,
  type ProcessorAdapter,
  type StatusResult,
} from './processor-adapter';

/** Invalid token (unknown, or too old to be known) and expired session. */
const TOKEN_GONE = new Set(['10410', '10411']);
/** The token was already paid: 10415 same token, 11607 duplicate request, 10412 duplicate invoice id. */
const ALREADY_PAID = new Set(['10415', '11607', '10412']);
/** PAYMENTINFO_0_PAYMENTSTATUS values that mean the money is taken. */
const PAID = new Set(['Completed', 'Processed', 'Completed-Funds-Held']);
const IN_FLIGHT = new Set(['Pending', 'In-Progress']);
/** The other PAYMENTSTATUS values of a payment, by what they mean for a donation. */
const NOT_PAID = new Set(['Denied', 'Failed', 'Expired', 'Voided']);
const GIVEN_BACK = new Set(['Refunded', 'Reversed']);
const FOR_A_PERSON = new Set(['Partially-Refunded', 'Canceled-Reversal']);

/**
 * Reads a payment's PAYMENTSTATUS (a GetTransactionDetails answer) as a rectifier status; pure,
 * like nvpCheckoutStatus. Pending money is never a donation yet: PayPalStillProcessingError.
 */
export function nvpPaymentStatus(transaction: NvpAnswer): StatusResult {
  const paymentStatus = transaction.PAYMENTSTATUS ?? '';
  const txn = transaction.TRANSACTIONID;
  const which = `PayPal payment ${txn ?? ''}`.trim();
  const withTxn = txn ? { gatewayTxnId: txn } : {};
  if (PAID.has(paymentStatus)) return { status: 'complete', gatewayStatus: paymentStatus, ...withTxn };
  if (IN_FLIGHT.has(paymentStatus)) {
    throw new PayPalStillProcessingError(`${which} is ${paymentStatus} (${(transaction.PENDINGREASON ?? 'no reason').slice(0, 40)}): look again later`);
  }
  if (NOT_PAID.has(paymentStatus)) return { status: 'failed', gatewayStatus: paymentStatus, ...withTxn };
  if (GIVEN_BACK.has(paymentStatus)) return { status: 'refunded', gatewayStatus: paymentStatus, ...withTxn };
  if (FOR_A_PERSON.has(paymentStatus)) throw new PayPalNeedsPersonError(`${which} is ${paymentStatus}: a person decides what to record`);
  throw new ProcessorResponseError(`${which} has an unknown PAYMENTSTATUS ${paymentStatus.slice(0, 40) || '(none)'}`);
}

/** The transaction id a GetExpressCheckoutDetails answer names once the payment action ran. */
export function nvpCheckoutTransactionId(answer: NvpAnswer): string | undefined {
  return answer.PAYMENTREQUEST_0_TRANSACTIONID || answer.TRANSACTIONID || undefined;
}

/**
 * Reads a GetExpressCheckoutDetails answer as a rectifier status. Kept pure so that the
 * mapping is tested against PayPal's documented examples; throws the PayPal errors of
 * paypal-common.ts where no status fits. A PaymentActionCompleted checkout is read by its
 * payment, `transaction` (the GetTransactionDetails answer for its transaction id).
 */
export function nvpCheckoutStatus(answer: NvpAnswer, { recurring, transaction }: { recurring: boolean; transaction?: NvpAnswer }): StatusResult {
  const checkoutStatus = answer.CHECKOUTSTATUS;
  switch (checkoutStatus) {
    case 'PaymentActionCompleted':
      if (!nvpCheckoutTransactionId(answer)) {
        throw new PayPalNeedsPersonError(`PayPal checkout ${answer.TOKEN ?? ''} is ${checkoutStatus} without a transaction id: whether the money was taken is not known`);
      }
      if (!transaction) throw new ProcessorResponseError(`PayPal checkout ${answer.TOKEN ?? ''} is ${checkoutStatus}: its payment's status was not read`);
      return nvpPaymentStatus(transaction);
    case 'PaymentActionFailed':
      return { status: 'failed', gatewayStatus: checkoutStatus };
    case 'PaymentActionInProgress':
      throw new PayPalStillProcessingError(`PayPal checkout ${answer.TOKEN ?? ''} is in ${checkoutStatus}: look again later`);
    case 'PaymentActionNotInitiated':
      if (!answer.PAYERID) return { status: 'discard', gatewayStatus: 'not-approved' };
      if (recurring) {
        throw new PayPalNeedsPersonError(
          `PayPal checkout ${answer.TOKEN ?? ''} is an approved recurring donation: it needs a recurring payments profile, never a one-off charge`,
        );
      }
      return { status: 'needs-finishing', gatewayStatus: checkoutStatus };
    default:
      throw new ProcessorResponseError(`PayPal GetExpressCheckoutDetails answered an unknown CHECKOUTSTATUS ${String(checkoutStatus).slice(0, 40)}`);
  }
}

export class PayPalNvpAdapter implements ProcessorAdapter {
  readonly kind = 'paypal-nvp';
  /** No cancel: an unpaid checkout lapses on its own after three hours. */
  readonly capabilities: ReadonlySet<Capability> = new Set<Capability>(['finish']);
  private readonly client: PayPalNvpClient;
  /** What getStatus read for finish: the payer id is donor data, so kept here and nowhere else. */
  private readonly approved = new WeakMap<OrphanPayment, Approval>();

  constructor(options: PayPalNvpOptions) {
    this.client = new PayPalNvpClient(options);
  }

  /**
   * Asks PayPal for the checkout behind the token, and for a completed one its payment; see
   * nvpCheckoutStatus and nvpPaymentStatus for the mapping.
   */
  async getStatus(payment: OrphanPayment): Promise<StatusResult> {
    const answer = await this.details(payment);
    if (answer === 'gone') return { status: 'discard', gatewayStatus: 'token-expired' };
    const transaction = await this.transactionOf(answer);
    const status = nvpCheckoutStatus(answer, { recurring: isRecurring(payment.message), ...(transaction ? { transaction } : {}) });
    if (answer.PAYERID) this.approved.set(payment, approvedOf(answer));
    return status;
  }

  /**
   * Charges an approved checkout once. The invoice id (the order id) makes PayPal refuse a
   * second charge of the same donation even under another token; a refusal as a duplicate is
   * read back as the payment it duplicates.
   */
  async finish(payment: OrphanPayment, _status?: StatusResult): Promise<CompletionResult> {
    if (isRecurring(payment.message)) {
      throw new PayPalNeedsPersonError('a recurring PayPal donation is never charged as a one-off payment');
    }
    const amount = paypalAmount(payment.message);
    if (typeof amount === 'string') throw new MalformedMessageError(amount);
    const token = tokenOf(payment);
    let approved = this.approved.get(payment);
    if (!approved) {
      const answer = await this.details(payment);
      if (answer !== 'gone' && answer.PAYERID) approved = approvedOf(answer);
      if (!approved) throw new ProcessorResponseError(`PayPal checkout ${token} has no approved payer: nothing can be charged`);
    }
    if (!sameAmount(amount, approved)) {
      throw new PayPalNeedsPersonError(`PayPal checkout ${token} was approved for another amount than the pending row's: not charged`);
    }
    const payerId = approved.payerId;
    const answer = await this.client.call('DoExpressCheckoutPayment', {
      TOKEN: token,
      PAYERID: payerId,
      PAYMENTREQUEST_0_AMT: amount.value,
      PAYMENTREQUEST_0_CURRENCYCODE: amount.currency,
      PAYMENTREQUEST_0_PAYMENTACTION: 'Sale',
      ...(payment.orderId ? { PAYMENTREQUEST_0_INVNUM: payment.orderId } : {}),
    });
    if (!nvpSucceeded(answer)) {
      const failure = nvpFailure(answer);
      if (ALREADY_PAID.has(failure.code)) return this.alreadyPaid(payment, failure.code);
      throw new ProcessorResponseError(`PayPal DoExpressCheckoutPayment for ${token} refused: ${failure.code} ${failure.shortMessage}`);
    }
    const paymentStatus = answer.PAYMENTINFO_0_PAYMENTSTATUS ?? '';
    const txn = answer.PAYMENTINFO_0_TRANSACTIONID;
    if (IN_FLIGHT.has(paymentStatus)) {
      throw new PayPalStillProcessingError(`PayPal payment for ${token} is ${paymentStatus} (${answer.PAYMENTINFO_0_PENDINGREASON ?? 'no reason'}): look again later`);
    }
    if (!PAID.has(paymentStatus) || !txn) {
      throw new ProcessorResponseError(`PayPal DoExpressCheckoutPayment for ${token} left the payment ${paymentStatus.slice(0, 40) || 'without a status'}`);
    }
    return { gatewayTxnId: txn, gatewayStatus: paymentStatus };
  }

  /**
   * A duplicate refusal: the checkout is paid already, so report that payment, once its own
   * status says the money is taken (a pending one is looked at again later).
   */
  private async alreadyPaid(payment: OrphanPayment, code: string): Promise<CompletionResult> {
    const answer = await this.details(payment);
    const transaction = answer === 'gone' ? undefined : await this.transactionOf(answer);
    if (answer === 'gone' || !transaction) {
      throw new PayPalNeedsPersonError(`PayPal refused checkout ${tokenOf(payment)} as a duplicate (${code}) but shows no completed payment for it`);
    }
    const paid = nvpPaymentStatus(transaction);
    if (paid.status !== 'complete') {
      throw new PayPalNeedsPersonError(`PayPal refused checkout ${tokenOf(payment)} as a duplicate (${code}) and its payment is ${paid.gatewayStatus ?? paid.status}`);
    }
    return { gatewayTxnId: paid.gatewayTxnId ?? nvpCheckoutTransactionId(answer), gatewayStatus: paid.gatewayStatus };
  }

  /** The GetTransactionDetails answer for a completed checkout's transaction; none for any other checkout. */
  private async transactionOf(checkout: NvpAnswer): Promise<NvpAnswer | undefined> {
    const txn = nvpCheckoutTransactionId(checkout);
    if (checkout.CHECKOUTSTATUS !== 'PaymentActionCompleted' || !txn) return undefined;
    const answer = await this.client.call('GetTransactionDetails', { TRANSACTIONID: txn });
    if (!nvpSucceeded(answer)) {
      const failure = nvpFailure(answer);
      throw new ProcessorResponseError(`PayPal GetTransactionDetails for ${txn} refused: ${failure.code} ${failure.shortMessage}`);
    }
    return answer;
  }

  private async details(payment: OrphanPayment): Promise<NvpAnswer | 'gone'> {
    const answer = await this.client.call('GetExpressCheckoutDetails', { TOKEN: tokenOf(payment) });
    if (nvpSucceeded(answer)) return answer;
    const failure = nvpFailure(answer);
    if (TOKEN_GONE.has(failure.code)) return 'gone';
    throw new ProcessorResponseError(`PayPal GetExpressCheckoutDetails for ${tokenOf(payment)} refused: ${failure.code} ${failure.shortMessage}`);
  }
}

interface Approval {
  payerId: string;
  value?: string;
  currency?: string;
}

/** The payer and the amount the donor approved, from a GetExpressCheckoutDetails answer with a PAYERID. */
function approvedOf(answer: NvpAnswer): Approval {
  return { payerId: answer.PAYERID!, value: answer.PAYMENTREQUEST_0_AMT ?? answer.AMT, currency: answer.PAYMENTREQUEST_0_CURRENCYCODE ?? answer.CURRENCYCODE };
}

function tokenOf(payment: OrphanPayment): string {
  const token = payment.message.gateway_session_id;
  if (typeof token !== 'string' || token === '') {
    throw new MalformedMessageError('pending row has no gateway_session_id: the PayPal Express Checkout token is needed');
  }
  return token;
}
