import { readFileSync } from 'node:fs';
import path from 'node:path';
import { convertToUsd, parseFormAmount, roundToCents } from '../../../lib/tracking/amount';
import { MalformedRatesFileError } from '../../../lib/tracking/errors';
import { parseEcbRates } from '../../../lib/tracking/exchange-rates';

const FIXTURES = path.resolve(__dirname, '../../../fixtures/exchange-rates');

describe('parseEcbRates', () => {
  it('should read every day and currency of an eurofxref XML file', () => {
    const rates = parseEcbRates(readFileSync(path.join(FIXTURES, 'eurofxref-sample.xml'), 'utf8'));

    expect(rates).toHaveLength(8);
    expect(rates).toContainEqual({ currency: 'USD', date: '2024-11-27', unitsPerEur: '1.0500' });
    expect(rates).toContainEqual({ currency: 'BRL', date: '2024-11-25', unitsPerEur: '6.0000' });
  });

  it('should read the daily CSV with its long date and trailing comma', () => {
    const rates = parseEcbRates(readFileSync(path.join(FIXTURES, 'eurofxref-sample.csv'), 'utf8'));

    expect(rates).toEqual([
      { currency: 'USD', date: '2024-11-28', unitsPerEur: '1.0600' },
      { currency: 'JPY', date: '2024-11-28', unitsPerEur: '159.00' },
      { currency: 'GBP', date: '2024-11-28', unitsPerEur: '0.84000' },
      { currency: 'BRL', date: '2024-11-28', unitsPerEur: '6.3600' },
    ]);
  });

  it('should skip the N/A cells of the history CSV', () => {
    const rates = parseEcbRates('Date,USD,RUB,\n2024-11-27,1.0500,N/A,\n2022-02-28,1.1240,117.2600,\n');

    expect(rates).toEqual([
      { currency: 'USD', date: '2024-11-27', unitsPerEur: '1.0500' },
      { currency: 'USD', date: '2022-02-28', unitsPerEur: '1.1240' },
      { currency: 'RUB', date: '2022-02-28', unitsPerEur: '117.2600' },
    ]);
  });

  it('should refuse a file that is not in the eurofxref format with a typed error', () => {
    expect(() => parseEcbRates('{"rates": {}}')).toThrow(MalformedRatesFileError);
    expect(() => parseEcbRates('Date,USD\n31 Febtember 2024,1.05\n')).toThrow(MalformedRatesFileError);
    expect(() => parseEcbRates('Date,USD\n2024-11-27,0\n')).toThrow(MalformedRatesFileError);
  });
});

describe('parseFormAmount', () => {
  it('should read a currency code followed by an amount, as the legacy form_amount', () => {
    expect(parseFormAmount('USD 10.00')).toEqual({ currency: 'USD', amount: '10.00' });
    expect(parseFormAmount('brl 25')).toEqual({ currency: 'BRL', amount: '25' });
    expect(parseFormAmount('JPY 1,500')).toEqual({ currency: 'JPY', amount: '1500' });
  });

  it('should return null for anything else', () => {
    expect(parseFormAmount('10.00 USD')).toBeNull();
    expect(parseFormAmount('USD')).toBeNull();
    expect(parseFormAmount('USD -5')).toBeNull();
    expect(parseFormAmount('')).toBeNull();
  });
});

describe('convertToUsd', () => {
  it('should convert through the euro cross rate, rounding half up to the cent', () => {
    expect(convertToUsd('25.00', '6.2500', '1.0500')).toBe('4.20');
    expect(convertToUsd('15.00', '1', '1.0500')).toBe('15.75');
    // 1 · 1.05 / 160 = 0.0065625 → 0.01
    expect(convertToUsd('1', '160.00', '1.0500')).toBe('0.01');
    expect(convertToUsd('0.10', '3', '1')).toBe('0.03');
  });

  it('should round a dollar amount to the cent', () => {
    expect(roundToCents('10')).toBe('10.00');
    expect(roundToCents('10.005')).toBe('10.01');
  });
});
