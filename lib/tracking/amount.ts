/**
 * Amounts of the tracking summaries: the legacy `form_amount` ("USD 10.00", currency code then
 * amount, as civicrm_contribution.source) and its conversion to US dollars through euro cross
 * rates. Exact decimal arithmetic on BigInt, so that the consumer and the rebuild, on any
 * machine, round every amount to the same cent.
 */

export interface Money {
  /** ISO 4217 code, upper case. */
  currency: string;
  /** Non-negative decimal with a '.' separator, as it came (thousands separators removed). */
  amount: string;
}

const FORM_AMOUNT = /^\s*([A-Za-z]{3})\s*((?:[0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)(?:\.[0-9]+)?)\s*$/;

/** Reads a `form_amount`; null when it is not a currency code followed by an amount. */
export function parseFormAmount(value: string | null | undefined): Money | null {
  if (!value) return null;
  const match = FORM_AMOUNT.exec(value);
  if (!match) return null;
  return { currency: match[1]!.toUpperCase(), amount: match[2]!.replace(/,/g, '') };
}

/** A non-negative decimal string as an integer and its number of decimals. */
function scaled(decimal: string): { units: bigint; decimals: number } {
  const [whole, fraction = ''] = decimal.split('.');
  return { units: BigInt(`${whole}${fraction}`), decimals: fraction.length };
}

/** `numerator / denominator` rounded half up (both positive), as a string with two decimals. */
function cents(numerator: bigint, denominator: bigint): string {
  const rounded = (2n * numerator + denominator) / (2n * denominator);
  const text = rounded.toString().padStart(3, '0');
  return `${text.slice(0, -2)}.${text.slice(-2)}`;
}

/**
 * `amount` of a currency worth `unitsPerEur` per euro, in US dollars (`usdPerEur` per euro),
 * rounded to the cent: amount · usdPerEur / unitsPerEur.
 */
export function convertToUsd(amount: string, unitsPerEur: string, usdPerEur: string): string {
  const a = scaled(amount);
  const x = scaled(unitsPerEur);
  const u = scaled(usdPerEur);
  // cents = a.units / 10^a.decimals · u.units / 10^u.decimals · 10^x.decimals / x.units · 100
  const numerator = a.units * u.units * 10n ** BigInt(x.decimals) * 100n;
  const denominator = 10n ** BigInt(a.decimals + u.decimals) * x.units;
  return cents(numerator, denominator);
}

/** An amount already in dollars, rounded to the cent like a converted one. */
export function roundToCents(amount: string): string {
  const a = scaled(amount);
  return cents(a.units * 100n, 10n ** BigInt(a.decimals));
}
