/**
 * Amounts as processors count them, from the pending message's decimal `gross`. Processors do
 * not agree on how many decimals a currency has, and each reads an integer amount by its own
 * rule: an amount made by another processor's rule is misread (a hundred times too little or too
 * much), not refused. So every conversion names its processor's rule, and an amount that does not
 * fit its currency under that rule is refused before any request.
 *
 * - `iso4217`: the currency's ISO 4217 minor unit.
 * - `adyen`: Adyen's currency table (docs.adyen.com/development-resources/currency-codes), which
 *   differs from ISO 4217 for CLP and ISK (2 decimals) and for CVE and IDR (0); "the decimals in
 *   the table on this page are leading".
 * - `worldline`: Worldline Connect's `amount` fields are "in cents and always having 2 decimals",
 *   whatever the currency (JPY 1000 is 100000, KWD 1.250 is 125).
 */
import { MalformedMessageError } from '../errors';

/** Whose rule turns a decimal amount into an integer one. */
export type AmountConvention = 'iso4217' | 'adyen' | 'worldline';

/** ISO 4217 currencies whose minor unit is not 1/100 (all others: 2 decimals). */
const ISO_4217_EXPONENTS: Readonly<Record<string, number>> = {
  BIF: 0, CLP: 0, DJF: 0, GNF: 0, ISK: 0, JPY: 0, KMF: 0, KRW: 0, PYG: 0, RWF: 0, UGX: 0, UYI: 0, VND: 0, VUV: 0, XAF: 0, XOF: 0, XPF: 0,
  BHD: 3, IQD: 3, JOD: 3, KWD: 3, LYD: 3, OMR: 3, TND: 3,
};

/** Where Adyen's table departs from ISO 4217; every other currency as ISO 4217. */
const ADYEN_OVERRIDES: Readonly<Record<string, number>> = { CLP: 2, CVE: 0, IDR: 0, ISK: 2 };

const EXPONENT_RULES: Readonly<Record<AmountConvention, (currency: string) => number>> = {
  iso4217: (currency) => ISO_4217_EXPONENTS[currency] ?? 2,
  adyen: (currency) => ADYEN_OVERRIDES[currency] ?? ISO_4217_EXPONENTS[currency] ?? 2,
  worldline: () => 2,
};

/** How many decimals `convention` counts for `currency` (an ISO 4217 code, upper case). */
export function exponentOf(currency: string, convention: AmountConvention): number {
  return EXPONENT_RULES[convention](currency);
}

interface RowAmount {
  whole: string;
  fraction: string;
  currency: string;
}

/** The message's gross and currency, checked; a malformed amount is the message's fault. */
function rowAmount(message: Record<string, unknown>): RowAmount {
  const currency = typeof message.currency === 'string' ? message.currency.toUpperCase() : '';
  if (!/^[A-Z]{3}$/.test(currency)) throw new MalformedMessageError('pending message has no ISO 4217 currency');
  const gross = typeof message.gross === 'number' ? String(message.gross) : message.gross;
  if (typeof gross !== 'string' || !/^\d+(\.\d+)?$/.test(gross.trim())) throw new MalformedMessageError('pending message has no decimal gross amount');
  const [whole = '', fraction = ''] = gross.trim().split('.');
  return { whole, fraction: fraction.replace(/0+$/, ''), currency };
}

/** The amount as an integer with `exponent` decimals, or null when it has more decimals than that. */
function scaled({ whole, fraction }: RowAmount, exponent: number): number | null {
  if (fraction.length > exponent) return null;
  const value = Number(`${whole}${fraction.padEnd(exponent, '0')}`);
  if (!Number.isSafeInteger(value)) throw new MalformedMessageError('pending message gross is out of range');
  return value;
}

/**
 * The message's amount as an integer by `convention`'s decimals for its currency, with the
 * currency: what a request to that processor carries. A gross with more decimals than the
 * processor counts for the currency cannot be sent as it is: MalformedMessageError.
 */
export function minorUnits(message: Record<string, unknown>, convention: AmountConvention): { value: number; currency: string } {
  const amount = rowAmount(message);
  const exponent = exponentOf(amount.currency, convention);
  const value = scaled(amount, exponent);
  if (value === null) {
    throw new MalformedMessageError(`pending message's gross has more decimals than ${convention} amounts in ${amount.currency} carry (${exponent})`);
  }
  return { value, currency: amount.currency };
}

/**
 * True when an amount a processor reports (an integer by `convention`'s decimals, and a
 * currency) is the message's gross and currency. A gross more precise than the processor can
 * express is never the same; an absent or non-integer value is not either.
 */
export function sameAmount(message: Record<string, unknown>, reported: { value?: unknown; currency?: unknown }, convention: AmountConvention): boolean {
  const amount = rowAmount(message);
  if (typeof reported.currency !== 'string' || reported.currency.toUpperCase() !== amount.currency) return false;
  if (typeof reported.value !== 'number' || !Number.isSafeInteger(reported.value)) return false;
  return scaled(amount, exponentOf(amount.currency, convention)) === reported.value;
}
