import { MalformedMessageError } from '../../../lib/errors';
import { parsePaymentsInitMessage, pendingRowsObsolete } from '../../../lib/pending/payments-initial-store';
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

describe('pendingRowsObsolete', () => {
  it.each([
    ['ingenico', 'failed', 'process', true],
    ['ingenico', 'cancelled', 'process', true],
    ['paypal', 'failed', 'reject', true],
    ['paypal', 'failed', undefined, true],
    ['paypal', 'failed', 'review', false],
    ['ingenico', 'failed', 'reject', false],
    ['adyen', 'failed', 'process', false],
    ['dlocal', 'cancelled', 'process', false],
    ['ingenico', 'complete', 'process', false],
    ['paypal', 'pending', 'review', false],
  ])('should say the pending rows of a %s attempt %s / %s are obsolete: %s', (gateway, status, action, expected) => {
    expect(pendingRowsObsolete({ gateway, payments_final_status: status, validation_action: action })).toBe(expected);
  });
});
