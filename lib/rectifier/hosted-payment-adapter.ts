/**
 * A hosted-payment-page processor whose orders carry numeric status codes. Its API (JSON over
 * HTTP, relative to the configured base URL):
 *
 *   GET  /orders/{order_id}          → { status_code, gateway_txn_id? }
 *   POST /orders/{order_id}/approve  → { status_code, gateway_txn_id? }   (status 600)
 *   POST /orders/{order_id}/finish   → { status_code, gateway_txn_id? }   (status 200)
 *   POST /orders/{order_id}/cancel   → {}
 */
import { MalformedMessageError } from '../errors';
import {
  ProcessorResponseError,
  type Capability,
  type CompletionResult,
  type OrphanPayment,
  type PaymentStatus,
  type ProcessorAdapter,
  type StatusResult,
} from './processor-adapter';
import { ProcessorHttp, type ProcessorHttpOptions } from './processor-http';

const RANGES: Array<[number, number, PaymentStatus]> = [
  [0, 70, 'pending'],
  [100, 180, 'failed'],
  [200, 200, 'needs-finishing'],
  [220, 280, 'failed'],
  [400, 400, 'revised'],
  [600, 600, 'needs-approval'],
  [800, 975, 'complete'],
  [1000, 1050, 'complete'],
  [1100, 1520, 'failed'],
  [1800, 1800, 'refunded'],
  [99999, 99999, 'cancelled'],
];

/**
 * Maps a status code to a status. In orphan mode (the donor never came back) a payment still
 * pending at the processor will never be completed by its donor, so it counts as failed.
 * Codes outside every known range are a ProcessorResponseError.
 */
export function hostedPaymentStatus(code: number, { orphan }: { orphan: boolean }): PaymentStatus {
  for (const [low, high, status] of RANGES) {
    if (code >= low && code <= high) return status === 'pending' && orphan ? 'failed' : status;
  }
  throw new ProcessorResponseError(`unknown hosted-payment status code ${code}`);
}

export class HostedPaymentAdapter implements ProcessorAdapter {
  readonly kind = 'hosted-payment';
  readonly capabilities: ReadonlySet<Capability> = new Set<Capability>(['cancel', 'approve', 'finish']);
  private readonly http: ProcessorHttp;

  constructor(options: ProcessorHttpOptions) {
    this.http = new ProcessorHttp(options);
  }

  async getStatus(payment: OrphanPayment): Promise<StatusResult> {
    const { body } = await this.http.request('GET', this.orderPath(payment));
    return this.toStatus(body);
  }

  async cancel(payment: OrphanPayment): Promise<void> {
    await this.http.request('POST', `${this.orderPath(payment)}/cancel`, {});
  }

  async approve(payment: OrphanPayment): Promise<CompletionResult> {
    return this.complete(payment, 'approve');
  }

  async finish(payment: OrphanPayment): Promise<CompletionResult> {
    return this.complete(payment, 'finish');
  }

  private async complete(payment: OrphanPayment, action: 'approve' | 'finish'): Promise<CompletionResult> {
    const { body } = await this.http.request('POST', `${this.orderPath(payment)}/${action}`, {
      amount: payment.message.gross,
      currency: payment.message.currency,
    });
    const result = this.toStatus(body);
    if (result.status !== 'complete') {
      throw new ProcessorResponseError(`${action} left the order in status ${result.gatewayStatus} (${result.status}), not complete`);
    }
    return { gatewayTxnId: result.gatewayTxnId, gatewayStatus: result.gatewayStatus };
  }

  private toStatus(body: Record<string, unknown>): StatusResult {
    const code = Number(body.status_code);
    if (body.status_code === undefined || body.status_code === null || !Number.isInteger(code)) {
      throw new ProcessorResponseError('hosted-payment answer has no numeric status_code');
    }
    const txn = body.gateway_txn_id;
    return {
      status: hostedPaymentStatus(code, { orphan: true }),
      gatewayStatus: String(code),
      ...(typeof txn === 'string' || typeof txn === 'number' ? { gatewayTxnId: String(txn) } : {}),
    };
  }

  private orderPath(payment: OrphanPayment): string {
    if (!payment.orderId) throw new MalformedMessageError('pending row has no order_id: the hosted-payment processor needs one');
    return `/orders/${encodeURIComponent(payment.orderId)}`;
  }
}
