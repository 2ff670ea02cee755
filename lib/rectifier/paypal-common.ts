/**
 * What the two PayPal adapters (REST Orders v2 and Express Checkout NVP) share: the outcomes
 * the rectifier's statuses cannot express, as typed errors, and the recurring rule.
 *
 * Neither adapter ever puts donor data (names, e-mail addresses, payer ids, addresses) in an
 * error text: only PayPal's order ids and tokens, status names, error codes and debug ids.
 * See docs/processors-paypal.md.
 */
import { InfrastructureError, PermanentError, RetryableError } from '../errors';

/**
 * The payment is in a state the rectifier must not settle alone (an approved recurring
 * donation, an authorize-intent order, a partial refund…): the row goes to `damaged` without
 * a retry date, with this error's text saying why, and a person decides in the console.
 */
export class PayPalNeedsPersonError extends PermanentError {}

/**
 * PayPal is still processing the money (a capture or payment in PENDING, a checkout in
 * progress): the row waits in `damaged` with a retry date and a later run looks again; past
 * the retry age it stays there for a person. Resolving it now would lose a donation in flight.
 */
export class PayPalStillProcessingError extends RetryableError {}

/**
 * PayPal refused our credentials (OAuth `invalid_client`, NVP 10002): every row would fail the
 * same way, so this stops the run like an outage and leaves the rows for when it is fixed.
 */
export class PayPalAuthenticationError extends InfrastructureError {}

/**
 * True when the pending message is a recurring donation (`recurring` 1/true). Such a payment
 * must never be charged as a one-off: the rectifier only pushes what PayPal already charged.
 */
export function isRecurring(message: Record<string, unknown>): boolean {
  const value = message.recurring;
  return value === true || value === 1 || value === '1' || value === 'true';
}

/** Makes an amount PayPal accepts (`25.00`) from a pending message's `gross`, or says why not. */
export function paypalAmount(message: Record<string, unknown>): { value: string; currency: string } | string {
  const gross = message.gross;
  const currency = message.currency;
  if ((typeof gross !== 'string' && typeof gross !== 'number') || !/^\d+(\.\d{1,2})?$/.test(String(gross))) {
    return 'pending row has no usable gross amount';
  }
  if (typeof currency !== 'string' || !/^[A-Z]{3}$/.test(currency)) return 'pending row has no usable currency';
  return { value: String(gross), currency };
}

/**
 * True when PayPal's amount is the pending row's: the rectifier never charges an amount the
 * donor did not choose (NVP lets a merchant charge up to 115% of the approved amount).
 */
export function sameAmount(row: { value: string; currency: string }, paypal: { value?: string; currency?: string }): boolean {
  return paypal.currency === row.currency && paypal.value !== undefined && paypal.value !== '' && Number(paypal.value) === Number(row.value);
}
