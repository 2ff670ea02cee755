import { MalformedMessageError } from '../../../lib/errors';
import { exponentOf, minorUnits, sameAmount, type AmountConvention } from '../../../lib/rectifier/money';

describe('minorUnits', () => {
  it.each<[string, string, AmountConvention, number]>([
    ['25.00', 'EUR', 'iso4217', 2500],
    ['25', 'EUR', 'iso4217', 2500],
    ['25.5', 'usd', 'iso4217', 2550],
    ['1000', 'JPY', 'iso4217', 1000],
    ['1.234', 'KWD', 'iso4217', 1234],
    ['10.10', 'BRL', 'iso4217', 1010],
    ['5000', 'CLP', 'iso4217', 5000],
    // Adyen's currency table, where it departs from ISO 4217 (CLP, ISK: 2 decimals; IDR, CVE: none).
    ['5000', 'CLP', 'adyen', 500000],
    ['2790', 'ISK', 'adyen', 279000],
    ['150000', 'IDR', 'adyen', 150000],
    ['1000.00', 'CVE', 'adyen', 1000],
    ['1000', 'JPY', 'adyen', 1000],
    ['1.250', 'KWD', 'adyen', 1250],
    ['19.99', 'EUR', 'adyen', 1999],
    // Worldline Connect: "in cents and always having 2 decimals", whatever the currency.
    ['1000', 'JPY', 'worldline', 100000],
    ['5000', 'KRW', 'worldline', 500000],
    ['1.250', 'KWD', 'worldline', 125],
    ['19.99', 'EUR', 'worldline', 1999],
  ])('should turn %s %s into its %s amount %i', (gross, currency, convention, value) => {
    expect(minorUnits({ gross, currency }, convention)).toEqual({ value, currency: currency.toUpperCase() });
  });

  it.each<[string, string, AmountConvention]>([
    ['25.001', 'EUR', 'iso4217'],
    ['10.5', 'JPY', 'iso4217'],
    ['10.5', 'IDR', 'adyen'],
    ['1.255', 'KWD', 'worldline'],
    ['-3', 'EUR', 'iso4217'],
    ['ten', 'EUR', 'adyen'],
    ['10', 'EURO', 'worldline'],
  ])('should refuse %s %s as malformed for %s', (gross, currency, convention) => {
    expect(() => minorUnits({ gross, currency }, convention)).toThrow(MalformedMessageError);
  });
});

describe('exponentOf', () => {
  it('should follow ISO 4217 for Adyen except where Adyen documents otherwise', () => {
    const currencies = ['EUR', 'JPY', 'KWD', 'CLP', 'ISK', 'IDR', 'CVE'];

    const iso = currencies.map((c) => exponentOf(c, 'iso4217'));
    const adyen = currencies.map((c) => exponentOf(c, 'adyen'));

    expect(iso).toEqual([2, 0, 3, 0, 0, 2, 2]);
    expect(adyen).toEqual([2, 0, 3, 2, 2, 0, 0]);
  });
});

describe('sameAmount', () => {
  it('should compare what a processor reports in its own convention with the row', () => {
    const yen = { gross: '1000', currency: 'JPY' };

    expect(sameAmount(yen, { value: 100000, currency: 'JPY' }, 'worldline')).toBe(true);
    expect(sameAmount(yen, { value: 1000, currency: 'JPY' }, 'worldline')).toBe(false);
    expect(sameAmount(yen, { value: 1000, currency: 'JPY' }, 'adyen')).toBe(true);
    expect(sameAmount(yen, { value: 100000, currency: 'EUR' }, 'worldline')).toBe(false);
  });

  it('should never match a row more precise than the processor can express, nor a missing value', () => {
    const dinars = { gross: '1.255', currency: 'KWD' };

    expect(sameAmount(dinars, { value: 125, currency: 'KWD' }, 'worldline')).toBe(false);
    expect(sameAmount(dinars, { value: 126, currency: 'KWD' }, 'worldline')).toBe(false);
    expect(sameAmount(dinars, { currency: 'KWD' }, 'worldline')).toBe(false);
    expect(sameAmount(dinars, { value: 1255.0001, currency: 'KWD' }, 'iso4217')).toBe(false);
  });
});
