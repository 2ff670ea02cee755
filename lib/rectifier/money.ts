/**
 * Amounts as processors want them: whole minor units of the currency (ISO 4217 exponents), from
 * the pending message's decimal `gross`. Processors reject or, worse, misread amounts in the
 * wrong unit, so an amount that does not fit its currency is refused before any request.
 */
import { MalformedMessageError } from '../errors';

/** ISO 4217 currencies whose minor unit is not 1/100 (all others: 2 decimals). */
const EXPONENTS: Record<string, number> = {
  BIF: 0, CLP: 0, DJF: 0, GNF: 0, ISK: 0, JPY: 0, KMF: 0, KRW: 0, PYG: 0, RWF: 0, UGX: 0, UYI: 0, VND: 0, VUV: 0, XAF: 0, XOF: 0, XPF: 0,
  BHD: 3, IQD: 3, JOD: 3, KWD: 3, LYD: 3, OMR: 3, TND: 3,
};

/** The message's amount in minor units, with its currency; a malformed amount is the message's fault. */
export function minorUnits(message: Record<string, unknown>): { value: number; currency: string } {
  const currency = typeof message.currency === 'string' ? message.currency.toUpperCase() : '';
  if (!/^[A-Z]{3}$/.test(currency)) throw new MalformedMessageError('pending message has no ISO 4217 currency');
  const gross = typeof message.gross === 'number' ? String(message.gross) : message.gross;
  if (typeof gross !== 'string' || !/^\d+(\.\d+)?$/.test(gross.trim())) throw new MalformedMessageError('pending message has no decimal gross amount');
  const exponent = EXPONENTS[currency] ?? 2;
  const [whole, fraction = ''] = gross.trim().split('.');
  if (fraction.replace(/0+$/, '').length > exponent) {
    throw new MalformedMessageError(`pending message's gross has more decimals than ${currency} allows (${exponent})`);
  }
  const value = Number(`${whole}${fraction.padEnd(exponent, '0').slice(0, exponent)}`);
  if (!Number.isSafeInteger(value)) throw new MalformedMessageError('pending message gross is out of range');
  return { value, currency };
}
