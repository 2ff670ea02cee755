import { ObjectSerializer } from '@adyen/api-library/lib/src/typings/checkout/objectSerializer';
import type { PaymentCaptureResponse, StandalonePaymentCancelResponse } from '@adyen/api-library/lib/src/typings/checkout/models';
import { PaymentDetailsResponse } from '@adyen/api-library/lib/src/typings/checkout/paymentDetailsResponse';
import { ADYEN_RESULT_CODES, adyenAccount, adyenStatus } from '../../../lib/rectifier/adyen-adapter';
import { PaymentNeedsReviewError, ProcessorResponseError } from '../../../lib/rectifier/processor-adapter';
import authorised from '../../../fixtures/processors/adyen/payments-details-authorised.json';
import refused from '../../../fixtures/processors/adyen/payments-details-refused.json';
import capture from '../../../fixtures/processors/adyen/capture-received.json';
import cancelByReference from '../../../fixtures/processors/adyen/cancel-by-reference-received.json';

describe('adyenStatus', () => {
  it.each([
    ['Authorised', 'needs-finishing', true],
    ['Success', 'complete', false],
    ['Pending', 'pending', false],
    ['Received', 'pending', false],
    ['Refused', 'failed', false],
    ['Error', 'failed', false],
    ['Cancelled', 'cancelled', false],
    ['RedirectShopper', 'failed', true],
    ['IdentifyShopper', 'failed', true],
    ['ChallengeShopper', 'failed', true],
    ['PresentToShopper', 'failed', true],
    ['AuthenticationFinished', 'failed', true],
    ['AuthenticationNotRequired', 'failed', true],
  ])('should map the result code %s to %s for an orphan (cancellable: %s)', (code, status, cancellable) => {
    expect(adyenStatus(code, { manualCapture: true })).toEqual({ status, cancellable });
  });

  it('should take Authorised as complete with automatic capture', () => {
    expect(adyenStatus('Authorised', { manualCapture: false })).toEqual({ status: 'complete', cancellable: true });
  });

  it('should leave PartiallyAuthorised for a person and refuse an unknown result code', () => {
    expect(() => adyenStatus('PartiallyAuthorised', { manualCapture: true })).toThrow(PaymentNeedsReviewError);
    expect(() => adyenStatus('Teleported', { manualCapture: true })).toThrow(ProcessorResponseError);
  });

  it('should know every result code the library declares', () => {
    const declared = Object.values(PaymentDetailsResponse.ResultCodeEnum);

    expect(Object.keys(ADYEN_RESULT_CODES).sort()).toEqual([...declared].sort());
  });
});

describe('Adyen answers written from the API reference', () => {
  it('should read the result code and pspReference of /payments/details answers', () => {
    const ok = ObjectSerializer.deserialize(authorised, 'PaymentDetailsResponse') as PaymentDetailsResponse;
    const no = ObjectSerializer.deserialize(refused, 'PaymentDetailsResponse') as PaymentDetailsResponse;

    expect([ok.resultCode, ok.pspReference]).toEqual(['Authorised', 'V4HZ4RBFJGXXGN82']);
    expect(adyenStatus(String(no.resultCode), { manualCapture: true }).status).toBe('failed');
  });

  it('should read capture and cancel answers as received', () => {
    const captured = ObjectSerializer.deserialize(capture, 'PaymentCaptureResponse') as PaymentCaptureResponse;
    const cancelled = ObjectSerializer.deserialize(cancelByReference, 'StandalonePaymentCancelResponse') as StandalonePaymentCancelResponse;

    expect([String(captured.status), captured.paymentPspReference]).toEqual(['received', 'V4HZ4RBFJGXXGN82']);
    expect([String(cancelled.status), cancelled.paymentReference]).toEqual(['received', '48213377.1']);
  });
});

describe('adyenAccount', () => {
  it('should need the live URL prefix on LIVE and default to TEST with manual capture of cards', () => {
    expect(adyenAccount.safeParse({ apiKey: 'k', merchantAccount: 'm', environment: 'LIVE' }).success).toBe(false);
    expect(adyenAccount.parse({ apiKey: 'k', merchantAccount: 'm' })).toEqual({ apiKey: 'k', merchantAccount: 'm', environment: 'TEST', capture: 'manual', paymentMethods: ['cc'] });
  });
});
