/**
 * An express-checkout processor: the donor approves a checkout on the processor's site, and
 * the merchant then completes the payment. The checkout is found by its token, which the
 * pending message carries as `gateway_session_id`. Its API (JSON over HTTP, relative to the
 * configured base URL):
 *
 *   GET  /checkouts/{token}      → { checkout_status, gateway_txn_id? }  or HTTP 410 (token expired)
 *   POST /checkouts/{token}/pay  → { payment_status, gateway_txn_id }
 *
 * `checkout_status` is PaymentActionNotInitiated, PaymentActionInProgress,
 * PaymentActionCompleted or PaymentActionFailed.
 */
import { MalformedMessageError } from '../errors';
import {
  ProcessorResponseError,
  type Capability,
  type CompletionResult,
  type OrphanPayment,
  type ProcessorAdapter,
  type StatusResult,
} from './processor-adapter';
import { ProcessorHttp, type ProcessorHttpOptions } from './processor-http';

const TOKEN_EXPIRED = 410;

export class ExpressCheckoutAdapter implements ProcessorAdapter {
  readonly kind = 'express-checkout';
  /** It cannot cancel: an unfinished checkout simply lapses. */
  readonly capabilities: ReadonlySet<Capability> = new Set<Capability>(['finish']);
  private readonly http: ProcessorHttp;

  constructor(options: ProcessorHttpOptions) {
    this.http = new ProcessorHttp(options);
  }

  /**
   * Never initiated or expired: discard quietly (the donor walked away). Completed: complete.
   * Anything else: the donor approved and the payment must be completed by us.
   */
  async getStatus(payment: OrphanPayment): Promise<StatusResult> {
    const { status, body } = await this.http.request('GET', this.checkoutPath(payment), undefined, [TOKEN_EXPIRED]);
    if (status === TOKEN_EXPIRED) return { status: 'discard', gatewayStatus: 'token-expired' };
    const checkoutStatus = body.checkout_status;
    if (typeof checkoutStatus !== 'string') throw new ProcessorResponseError('express-checkout answer has no checkout_status');
    const txn = typeof body.gateway_txn_id === 'string' ? { gatewayTxnId: body.gateway_txn_id } : {};
    if (checkoutStatus === 'PaymentActionNotInitiated') return { status: 'discard', gatewayStatus: checkoutStatus };
    if (checkoutStatus === 'PaymentActionCompleted') return { status: 'complete', gatewayStatus: checkoutStatus, ...txn };
    return { status: 'needs-finishing', gatewayStatus: checkoutStatus, ...txn };
  }

  async finish(payment: OrphanPayment): Promise<CompletionResult> {
    const { body } = await this.http.request('POST', `${this.checkoutPath(payment)}/pay`, {
      order_id: payment.orderId,
      amount: payment.message.gross,
      currency: payment.message.currency,
    });
    if (body.payment_status !== 'Completed' || typeof body.gateway_txn_id !== 'string') {
      throw new ProcessorResponseError(`express-checkout payment did not complete (payment_status ${String(body.payment_status)})`);
    }
    return { gatewayTxnId: body.gateway_txn_id, gatewayStatus: 'PaymentActionCompleted' };
  }

  private checkoutPath(payment: OrphanPayment): string {
    const token = payment.message.gateway_session_id;
    if (typeof token !== 'string' || token === '') {
      throw new MalformedMessageError('pending row has no gateway_session_id: the express-checkout token is needed');
    }
    return `/checkouts/${encodeURIComponent(token)}`;
  }
}
