/**
 * The legacy summary's `form_amount` and `payments_form` from the fields the current frontend
 * sends instead. DonationInterface stopped sending form_amount and payments_form in November 2025
 * (it sends amount, currency, gateway, appeal and payments_form_variant). The CRM, whose newer
 * tracking table had replaced the legacy one, served the legacy table as a view over it that made
 * them as `<currency> <amount rounded to 2 decimals>` and `<gateway>.<appeal>`, or
 * `<gateway>.v=<payments_form_variant>` without an appeal, NULL when a part is missing. These
 * functions make the same text, so that queries of the legacy columns read on as they did
 * (docs/architecture.md §7.2).
 */
import { readNewerAmount, roundAsCrmAmount } from './amount';

/**
 * `form_amount` as the CRM's view made it of `amount` and `currency`: the currency as sent, a
 * space, the amount rounded as its decimal(20,3) column and ROUND(amount, 2) did (roundAsCrmAmount).
 * Undefined when either is absent or not what both summaries read as an amount (readNewerAmount):
 * the CRM's column could not have held it, and the view gave NULL.
 */
export function formAmountOfNewer(amount: string | undefined, currency: string | undefined): string | undefined {
  const money = readNewerAmount(amount, currency);
  if (!money) return undefined;
  // The view did not change the currency's case; readNewerAmount upper-cases it for conversions.
  return `${currency!.trim()} ${roundAsCrmAmount(money.amount)}`;
}

/**
 * `payments_form` as the CRM's view made it: the gateway, a dot, and the appeal or else `v=` and
 * the form variant. An empty appeal is an appeal (the view's IFNULL kept it); undefined without a
 * gateway or without both the appeal and the variant.
 */
export function paymentsFormOfNewer(gateway: string | undefined, appeal: string | undefined, variant: string | undefined): string | undefined {
  if (gateway === undefined) return undefined;
  if (appeal !== undefined) return `${gateway}.${appeal}`;
  if (variant !== undefined) return `${gateway}.v=${variant}`;
  return undefined;
}
