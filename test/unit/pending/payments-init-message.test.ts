import { MalformedMessageError } from '../../../lib/errors';
import { isFailedNotUnderReview, parsePaymentsInitMessage } from '../../../lib/pending/payments-initial-store';
import fixture from '../../../fixtures/payments-init.json';

describe('parsePaymentsInitMessage', () => {
  it('should accept the payments-init fixture as it is', () => {
    expect(parsePaymentsInitMessage(fixture)).toEqual(fixture);
  });

  it('should reject a message without gateway, order id or date, naming each', () => {
    expect(() => parsePaymentsInitMessage({ amount: '1' })).toThrow(MalformedMessageError);
    expect(() => parsePaymentsInitMessage({ amount: '1' })).toThrow(/gateway is missing; order_id is missing; date is missing/);
  });

  it('should reject a non-numeric amount', () => {
    expect(() => parsePaymentsInitMessage({ ...fixture, amount: 'ten' })).toThrow('amount is not a number');
  });
});

describe('isFailedNotUnderReview', () => {
  it.each([
    ['failed', 'process', true],
    ['failed', 'reject', true],
    ['failed', undefined, true],
    ['failed', 'review', false],
    ['complete', 'process', false],
    ['pending', 'review', false],
  ])('should say %s / %s is %s', (status, action, expected) => {
    expect(isFailedNotUnderReview({ payments_final_status: status, validation_action: action })).toBe(expected);
  });
});
