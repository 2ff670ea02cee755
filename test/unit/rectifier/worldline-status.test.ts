import type { ErrorResponse, GetHostedCheckoutResponse, Payment, PaymentApprovalResponse } from 'connect-sdk-nodejs/lib/v1/model/domain';
import { PaymentNeedsReviewError, ProcessorResponseError } from '../../../lib/rectifier/processor-adapter';
import {
  describeWorldlineErrors,
  WORLDLINE_STATUS_CODES,
  WORLDLINE_STATUSES,
  worldlinePaymentStatus,
  worldlineStatusOfCode,
} from '../../../lib/rectifier/worldline-adapter';
import approved from '../../../fixtures/processors/worldline/payment-approve-capture-requested.json';
import unknownPayment from '../../../fixtures/processors/worldline/error-unknown-payment.json';
import fraud from '../../../fixtures/processors/worldline/payment-fraud-approval.json';
import rejectedCheckout from '../../../fixtures/processors/worldline/hostedcheckout-payment-created-rejected.json';
import pendingApproval from '../../../fixtures/processors/worldline/payment-pending-approval.json';

describe('worldlineStatusOfCode', () => {
  it.each([
    [0, 'failed'],
    [20, 'failed'],
    [50, 'failed'],
    [70, 'failed'],
    [15, 'failed'],
    [100, 'failed'],
    [180, 'failed'],
    [200, 'review'],
    [220, 'failed'],
    [280, 'failed'],
    [300, 'pending'],
    [310, 'failed'],
    [350, 'failed'],
    [400, 'revised'],
    [525, 'review'],
    [550, 'pending'],
    [600, 'needs-approval'],
    [625, 'pending'],
    [650, 'pending'],
    [800, 'complete'],
    [900, 'complete'],
    [975, 'complete'],
    [1000, 'complete'],
    [1050, 'complete'],
    [1100, 'failed'],
    [1520, 'failed'],
    [1800, 'refunded'],
    [1810, 'failed'],
    [2220, 'failed'],
    [99999, 'cancelled'],
  ])('should map the legacy status code %i to %s (orphan mode)', (code, action) => {
    expect(worldlineStatusOfCode(code)).toBe(action);
  });

  it.each([11, 75, 190, 500, 700, 1060, 1600, 2300])('should refuse the unknown status code %i', (code) => {
    expect(() => worldlineStatusOfCode(code)).toThrow(ProcessorResponseError);
  });

  it('should have ranges that never overlap', () => {
    const sorted = [...WORLDLINE_STATUS_CODES].sort((a, b) => a[0] - b[0]);

    for (let i = 1; i < sorted.length; i++) expect(sorted[i]![0]).toBeGreaterThan(sorted[i - 1]![1]);
  });
});

describe('worldlinePaymentStatus on answers written from the API reference', () => {
  it('should read a payment pending approval (600) as needing approval, with its id', () => {
    expect(worldlinePaymentStatus(pendingApproval as Payment)).toEqual({ status: 'needs-approval', gatewayStatus: '600', gatewayTxnId: pendingApproval.id });
  });

  it('should read the payment a hosted checkout created (rejected, not cancellable)', () => {
    const checkout = rejectedCheckout as GetHostedCheckoutResponse;

    expect(worldlinePaymentStatus(checkout.createdPaymentOutput!.payment!)).toEqual({
      status: 'failed',
      gatewayStatus: '100',
      gatewayTxnId: '000000123410000001240000100001',
      cancellable: false,
    });
  });

  it('should read the approve answer (CAPTURE_REQUESTED, 800) as complete', () => {
    expect(worldlinePaymentStatus((approved as PaymentApprovalResponse).payment!)).toMatchObject({ status: 'complete', gatewayStatus: '800' });
  });

  it('should leave a payment pending fraud approval for a person', () => {
    expect(() => worldlinePaymentStatus(fraud as Payment)).toThrow(PaymentNeedsReviewError);
  });

  it('should fall back to the status string when a payment has no status code', () => {
    expect(worldlinePaymentStatus({ id: 'p', status: 'PAID' })).toEqual({ status: 'complete', gatewayStatus: 'PAID', gatewayTxnId: 'p' });
    expect(worldlinePaymentStatus({ id: 'p', status: 'REDIRECTED' }).status).toBe('failed');
    expect(() => worldlinePaymentStatus({ id: 'p', status: 'PENDING_COMPLETION' })).toThrow(PaymentNeedsReviewError);
    expect(() => worldlinePaymentStatus({ id: 'p', status: 'SOMETHING_NEW' })).toThrow(ProcessorResponseError);
    expect(Object.keys(WORLDLINE_STATUSES)).toHaveLength(20);
  });

  it('should describe an error answer by its codes', () => {
    expect(describeWorldlineErrors(unknownPayment as ErrorResponse)).toBe('1002 UNKNOWN_PAYMENT_ID');
    expect(describeWorldlineErrors({})).toBe('no reason given');
  });
});
