/**
 * The ECB's euro foreign exchange reference rates (eurofxref): reading the published files,
 * loading them into `exchange_rate`, and looking up the rate that applies to a moment.
 *
 * The rate of a currency for a date is its latest published rate on or before that date (the ECB
 * publishes on TARGET business days only); a dollar amount goes through the euro cross rate.
 */
import { and, gt, inArray, lte, max, eq } from 'drizzle-orm';
import type { Pool } from 'mysql2/promise';
import { bulkInsert, columnName } from '../db/bulk-insert';
import type { Db } from '../db/client';
import { exchangeRate } from '../db/schema';
import { inTransaction } from '../db/transaction';
import { convertToUsd, roundToCents, type Money } from './amount';
import { MalformedRatesFileError } from './errors';

export interface ReferenceRate {
  currency: string;
  /** YYYY-MM-DD */
  date: string;
  /** Units of the currency per euro, a decimal string. */
  unitsPerEur: string;
}

const MONTHS = ['january', 'february', 'march', 'april', 'may', 'june', 'july', 'august', 'september', 'october', 'november', 'december'];
const RATE = /^[0-9]+(\.[0-9]+)?$/;
const CURRENCY = /^[A-Z]{3}$/;

/** Reads an eurofxref file: the XML (daily, 90 days, history) or the CSV (daily or history). */
export function parseEcbRates(text: string): ReferenceRate[] {
  const rates = text.trimStart().startsWith('<') ? parseXml(text) : parseCsv(text);
  if (rates.length === 0) throw new MalformedRatesFileError('no rates found: not an ECB eurofxref XML or CSV file');
  return rates;
}

function parseXml(text: string): ReferenceRate[] {
  const rates: ReferenceRate[] = [];
  // <Cube time='2024-11-27'> <Cube currency='USD' rate='1.0528'/> … </Cube>; either quote style.
  const days = text.split(/<Cube\s+time\s*=\s*["']/).slice(1);
  for (const day of days) {
    const date = parseDate(day.slice(0, day.search(/["']/)));
    for (const match of day.matchAll(/<Cube\s+currency\s*=\s*["']([^"']*)["']\s+rate\s*=\s*["']([^"']*)["']/g)) {
      rates.push(checked(match[1]!, date, match[2]!));
    }
  }
  return rates;
}

function parseCsv(text: string): ReferenceRate[] {
  const lines = text.split(/\r?\n/).filter((line) => line.trim() !== '');
  if (lines.length < 2) return [];
  const header = lines[0]!.split(',').map((cell) => cell.trim());
  if (header[0] !== 'Date') throw new MalformedRatesFileError('the CSV header does not start with Date');
  const rates: ReferenceRate[] = [];
  for (const line of lines.slice(1)) {
    const cells = line.split(',').map((cell) => cell.trim());
    const date = parseDate(cells[0]!);
    header.forEach((currency, i) => {
      const rate = cells[i];
      // The history file has N/A where a currency was not quoted, and a trailing empty column.
      if (i === 0 || currency === '' || rate === undefined || rate === '' || rate === 'N/A') return;
      rates.push(checked(currency, date, rate));
    });
  }
  return rates;
}

/** `2024-11-27` (XML, history CSV) or `27 November 2024` (daily CSV) as YYYY-MM-DD. */
function parseDate(text: string): string {
  const iso = /^([0-9]{4})-([0-9]{2})-([0-9]{2})$/.exec(text.trim());
  const long = /^([0-9]{1,2}) ([A-Za-z]+) ([0-9]{4})$/.exec(text.trim());
  let y: number, m: number, d: number;
  if (iso) [y, m, d] = [Number(iso[1]), Number(iso[2]), Number(iso[3])];
  else if (long && MONTHS.includes(long[2]!.toLowerCase())) [y, m, d] = [Number(long[3]), MONTHS.indexOf(long[2]!.toLowerCase()) + 1, Number(long[1])];
  else throw new MalformedRatesFileError(`not a date: ${JSON.stringify(text.slice(0, 40))}`);
  const date = new Date(Date.UTC(y, m - 1, d));
  if (date.getUTCFullYear() !== y || date.getUTCMonth() !== m - 1 || date.getUTCDate() !== d) {
    throw new MalformedRatesFileError(`not a date: ${JSON.stringify(text.slice(0, 40))}`);
  }
  return date.toISOString().slice(0, 10);
}

function checked(currency: string, date: string, rate: string): ReferenceRate {
  if (!CURRENCY.test(currency)) throw new MalformedRatesFileError(`not a currency code: ${JSON.stringify(currency.slice(0, 10))}`);
  if (!RATE.test(rate) || !/[1-9]/.test(rate)) throw new MalformedRatesFileError(`not a positive rate for ${currency} on ${date}`);
  return { currency, date, unitsPerEur: rate };
}

const UPSERT_RATES = bulkInsert(
  exchangeRate,
  ['currency', 'rateDate', 'unitsPerEur'],
  `ON DUPLICATE KEY UPDATE ${columnName(exchangeRate.unitsPerEur)} = VALUES(${columnName(exchangeRate.unitsPerEur)})`,
);

/** Stores rates, replacing a stored rate of the same currency and date: loading a file twice changes nothing. */
export async function loadRates(pool: Pool, rates: readonly ReferenceRate[]): Promise<number> {
  const rows = rates.filter((rate) => rate.currency !== 'EUR');
  await inTransaction(pool, 'load exchange rates', async ({ conn }) => {
    for (let i = 0; i < rows.length; i += 1000) {
      const chunk = rows.slice(i, i + 1000).map((rate) => ({ currency: rate.currency, rateDate: rate.date, unitsPerEur: rate.unitsPerEur }));
      await conn.query(UPSERT_RATES.statement, [UPSERT_RATES.values(chunk)]);
    }
  });
  return rows.length;
}

/** The outcome of converting one amount. */
export type UsdConversion = { ok: true; usd: string } | { ok: false; missing: string };

/** Rates of some currencies over a span of dates, read once per batch. */
export interface RateTable {
  /** `money` on `date` (YYYY-MM-DD) in dollars, or the currency whose rate is missing. */
  toUsd(money: Money, date: string): UsdConversion;
}

/** `YYYYmmddHHMMSS` (a tracking ts) as the rate date YYYY-MM-DD. */
export function rateDateOf(ts: string): string {
  return `${ts.slice(0, 4)}-${ts.slice(4, 6)}-${ts.slice(6, 8)}`;
}

/**
 * Reads what `toUsd` needs for these currencies on dates from `from` to `to`: each currency's
 * latest rate on or before `from` and every rate after it up to `to`. Two queries, whatever the
 * number of dates.
 */
export async function readRateTable(db: Db, currencies: readonly string[], from: string, to: string): Promise<RateTable> {
  const wanted = [...new Set([...currencies, 'USD'].filter((c) => c !== 'EUR'))];
  const byCurrency = new Map<string, Array<{ date: string; rate: string }>>();
  const latest = db
    .select({ currency: exchangeRate.currency, rateDate: max(exchangeRate.rateDate).as('latest_date') })
    .from(exchangeRate)
    .where(and(inArray(exchangeRate.currency, wanted), lte(exchangeRate.rateDate, from)))
    .groupBy(exchangeRate.currency)
    .as('latest');
  const before = await db
    .select({ currency: exchangeRate.currency, date: exchangeRate.rateDate, rate: exchangeRate.unitsPerEur })
    .from(exchangeRate)
    .innerJoin(latest, and(eq(exchangeRate.currency, latest.currency), eq(exchangeRate.rateDate, latest.rateDate)));
  const within =
    to > from
      ? await db
          .select({ currency: exchangeRate.currency, date: exchangeRate.rateDate, rate: exchangeRate.unitsPerEur })
          .from(exchangeRate)
          .where(and(inArray(exchangeRate.currency, wanted), gt(exchangeRate.rateDate, from), lte(exchangeRate.rateDate, to)))
      : [];
  for (const row of [...before, ...within]) {
    const list = byCurrency.get(row.currency) ?? [];
    list.push({ date: row.date, rate: row.rate });
    byCurrency.set(row.currency, list);
  }
  for (const list of byCurrency.values()) list.sort((a, b) => (a.date < b.date ? -1 : a.date > b.date ? 1 : 0));
  const rateOn = (currency: string, date: string): string | undefined => {
    if (currency === 'EUR') return '1';
    let found: string | undefined;
    for (const entry of byCurrency.get(currency) ?? []) {
      if (entry.date > date) break;
      found = entry.rate;
    }
    return found;
  };
  return {
    toUsd(money, date) {
      if (money.currency === 'USD') return { ok: true, usd: roundToCents(money.amount) };
      const units = rateOn(money.currency, date);
      if (units === undefined) return { ok: false, missing: money.currency };
      const usd = rateOn('USD', date);
      if (usd === undefined) return { ok: false, missing: 'USD' };
      return { ok: true, usd: convertToUsd(money.amount, units, usd) };
    },
  };
}
