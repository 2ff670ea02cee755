/**
 * `usd_amount` of the summaries: the merged `form_amount` converted to dollars at the reference
 * rate of the day of the event that supplied it (exchange-rates.ts). It is a function of the
 * event log and the rates table, like every other summary column, so the rebuild recomputes it;
 * an amount that cannot be converted stays NULL with a warning and never holds a message back.
 */
import type { Db } from '../db/client';
import type { Logger } from '../log';
import { parseFormAmount, type Money } from './amount';
import { rateDateOf, readRateTable, type RateTable } from './exchange-rates';

/** Why an amount was left without a dollar value (logged without the amount itself). */
export interface UsdIssue {
  trackingId: number;
  /** The event that supplied the amount. */
  eventId: number;
  reason: 'amount-unreadable' | 'no-rate' | 'out-of-range' | 'no-date';
  /** With no-rate: the currency without a rate on or before that day. */
  currency?: string;
  date?: string;
}

/** An amount to convert: what, on which day, supplied by which event. */
export interface PricedAmount {
  trackingId: number;
  eventId: number;
  /** The raw amount text (form_amount), or an amount already read. */
  money: Money | string;
  /** The moment of the supplying event (merge.ts, setAt), else the summary's ts; null when the id's events carry none. */
  ts: string | null;
}

/** The rates every amount needs, read in two queries. */
export async function readRatesFor(db: Db, amounts: readonly PricedAmount[]): Promise<RateTable> {
  const currencies = new Set<string>();
  let from: string | undefined;
  let to: string | undefined;
  for (const amount of amounts) {
    const money = typeof amount.money === 'string' ? parseFormAmount(amount.money) : amount.money;
    if (!money || amount.ts === null) continue;
    currencies.add(money.currency);
    const date = rateDateOf(amount.ts);
    if (from === undefined || date < from) from = date;
    if (to === undefined || date > to) to = date;
  }
  if (from === undefined || to === undefined) return { toUsd: (money) => ({ ok: false, missing: money.currency }) };
  return readRateTable(db, [...currencies], from, to);
}

/** The dollar value of one amount, or null with the issue recorded. */
export function usdAmountOf(amount: PricedAmount, rates: RateTable, issues: UsdIssue[]): string | null {
  const money = typeof amount.money === 'string' ? parseFormAmount(amount.money) : amount.money;
  if (!money) {
    issues.push({ trackingId: amount.trackingId, eventId: amount.eventId, reason: 'amount-unreadable' });
    return null;
  }
  // No day to take the rate of: none of the id's messages said when it was sent.
  if (amount.ts === null) {
    issues.push({ trackingId: amount.trackingId, eventId: amount.eventId, reason: 'no-date', currency: money.currency });
    return null;
  }
  const date = rateDateOf(amount.ts);
  const converted = rates.toUsd(money, date);
  // decimal(20,2) holds 18 integer digits; a larger value would make the server refuse the whole batch.
  if (converted.ok && converted.usd.indexOf('.') > 18) {
    issues.push({ trackingId: amount.trackingId, eventId: amount.eventId, reason: 'out-of-range', currency: money.currency, date });
    return null;
  }
  if (converted.ok) return converted.usd;
  issues.push({ trackingId: amount.trackingId, eventId: amount.eventId, reason: 'no-rate', currency: converted.missing, date });
  return null;
}

/** One warning per issue; ids, currency code and date only (an amount can identify a donor). */
export function logUsdIssues(logger: Logger, issues: readonly UsdIssue[]): void {
  for (const issue of issues) {
    logger.warn(
      { contributionTrackingId: issue.trackingId, eventId: issue.eventId, reason: issue.reason, currency: issue.currency, rateDate: issue.date },
      issue.reason === 'no-rate'
        ? 'no exchange rate on or before that day: usd_amount left NULL'
        : issue.reason === 'out-of-range'
          ? 'amount in dollars too large for usd_amount: left NULL'
          : issue.reason === 'no-date'
            ? 'no message of the id carries a date to take the rate of: usd_amount left NULL'
            : 'amount not in the "CUR 0.00" form: usd_amount left NULL',
    );
  }
}
