import { MalformedMessageError } from '../../../lib/errors';
import { normaliseMessage, normalisePendingMessage, parseMessageDate } from '../../../lib/pending/normalise-message';
import legacy from '../../../fixtures/pending-message-legacy-keys.json';
import current from '../../../fixtures/pending-message.json';

describe('parseMessageDate', () => {
  it('should read unix seconds given as a number or a numeric string', () => {
    expect(parseMessageDate(1468973648)).toBe(1468973648);
    expect(parseMessageDate('1468973648')).toBe(1468973648);
  });

  it('should read YYYY-mm-dd HH:MM:SS as UTC', () => {
    expect(parseMessageDate('2016-07-20 00:14:08')).toBe(1468973648);
  });

  it('should read ISO 8601 strings with their zone', () => {
    expect(parseMessageDate('2016-07-20T00:14:08Z')).toBe(1468973648);
    expect(parseMessageDate('2016-07-20T02:14:08+02:00')).toBe(1468973648);
  });

  it('should reject impossible dates and other text', () => {
    expect(parseMessageDate('2024-02-31 10:00:00')).toBeNull();
    expect(parseMessageDate('yesterday')).toBeNull();
    expect(parseMessageDate(null)).toBeNull();
    expect(parseMessageDate(-5)).toBeNull();
    expect(parseMessageDate(1e13)).toBeNull();
  });
});

describe('normaliseMessage', () => {
  it('should rename every legacy key of the legacy fixture and keep the rest', () => {
    const result = normaliseMessage(legacy);

    expect(result).toMatchObject({
      gross: '10.00',
      currency: 'EUR',
      first_name: 'Henk',
      last_name: 'Jansen',
      street_address: 'Dorpsstraat 3',
      postal_code: '1011 AB',
      city: 'Amsterdam',
      utm_source: legacy.utm_source,
      date: Date.UTC(2024, 10, 27, 13, 5, 44) / 1000,
    });
    for (const key of ['amount', 'currency_code', 'fname', 'lname', 'street', 'zip', 'state']) expect(result).not.toHaveProperty(key);
  });

  it('should omit blank values instead of keeping them', () => {
    const result = normaliseMessage(legacy);

    expect(result).not.toHaveProperty('state_province');
  });

  it('should leave a current message unchanged', () => {
    expect(normaliseMessage(current)).toEqual(current);
  });

  it('should keep unknown keys', () => {
    expect(normaliseMessage({ gateway: 'x', some_new_field: { a: 1 } })).toEqual({ gateway: 'x', some_new_field: { a: 1 } });
  });

  it('should keep a legacy key that conflicts with its current name under the legacy name', () => {
    const result = normaliseMessage({ currency: 'EUR', currency_code: 'USD', amount: '5', gross: '5' });

    expect(result).toEqual({ currency: 'EUR', currency_code: 'USD', gross: '5' });
  });

  it('should turn numbers in string fields into strings', () => {
    expect(normaliseMessage({ gross: 12.5, order_id: 77, date: 1 })).toEqual({ gross: '12.5', order_id: '77', date: 1 });
  });
});

describe('normalisePendingMessage', () => {
  it('should accept a message with a gateway transaction id but no order id', () => {
    const message = normalisePendingMessage({ gateway: 'adyen', gateway_txn_id: 'T1', date: 1 });

    expect(message.gateway_txn_id).toBe('T1');
  });

  it.each([
    [{ order_id: '1.1', date: 1 }, 'gateway is missing'],
    [{ gateway: 'g', order_id: '1.1' }, 'date is missing'],
    [{ gateway: 'g', order_id: '1.1', date: 'soon' }, 'date is not unix seconds'],
    [{ gateway: 'g', date: 1 }, 'order_id and gateway_txn_id are both missing'],
  ])('should reject %j naming the problem', (input, problem) => {
    expect(() => normalisePendingMessage(input)).toThrow(MalformedMessageError);
    expect(() => normalisePendingMessage(input)).toThrow(problem);
  });

  it('should reject what is not an object', () => {
    expect(() => normalisePendingMessage([1, 2])).toThrow('not a JSON object');
  });

  it('should not put values in its error text', () => {
    expect(() => normalisePendingMessage({ email: 'a@example.org', date: 1 })).toThrow(/^(?!.*example)/);
  });
});
