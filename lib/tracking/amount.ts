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

/** Up to 15 integer digits: decimal(20,2) holds it, and so does its conversion to dollars. */
const AMOUNT = /^[0-9]{1,15}(\.[0-9]+)?$/;
const CURRENCY = /^[A-Za-z]{3}$/;

/**
 * The newer frontend's `amount` and `currency` as one amount (currency upper-cased), or null when
 * either is absent or unreadable: the one reading both summaries take of them (detail.ts and the
 * legacy form_amount, legacy-form.ts).
 */
export function readNewerAmount(amount: string | undefined, currency: string | undefined): Money | null {
  if (amount === undefined || currency === undefined) return null;
  const a = amount.trim();
  const c = currency.trim();
  if (!AMOUNT.test(a) || !CURRENCY.test(c)) return null;
  return { currency: c.toUpperCase(), amount: a };
}

/** Whether a decimal (of a form_amount) is within what readNewerAmount reads. */
export function isReadableAmount(amount: string): boolean {
  return AMOUNT.test(amount);
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

/**
 * A non-negative decimal as the CRM's view of its tracking table showed it: stored in its
 * decimal(20,3) `amount` column (rounded to 3 decimals, half up) and then ROUND(amount, 2) (half
 * up again), always with two decimals. Rounding twice is what the view did: 10.0049 is stored as
 * 10.005 and shown as 10.01.
 */
export function roundAsCrmAmount(amount: string): string {
  const a = scaled(amount);
  const scale = 10n ** BigInt(a.decimals);
  const thousandths = (2n * a.units * 1000n + scale) / (2n * scale);
  return cents(thousandths, 10n);
}

/** An amount already in dollars, rounded to the cent like a converted one. */
export function roundToCents(amount: string): string {
  const a = scaled(amount);
  return cents(a.units * 100n, 10n ** BigInt(a.decimals));
}
