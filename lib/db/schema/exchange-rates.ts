import { char, date, decimal, mysqlTable, primaryKey } from 'drizzle-orm/mysql-core';

/**
 * Reference exchange rates as the ECB publishes them (eurofxref): units of a currency per euro
 * on a date. Loaded by `npm run rates:load`; the tracking summaries derive `usd_amount` from it
 * (lib/tracking/exchange-rates.ts), so a rate loaded late is picked up by `npm run tracking:rebuild`.
 */
export const exchangeRate = mysqlTable(
  'exchange_rate',
  {
    /** ISO 4217 code; EUR itself is never stored (its rate is 1 by definition). */
    currency: char('currency', { length: 3 }).notNull(),
    rateDate: date('rate_date', { mode: 'string' }).notNull(),
    /** The ECB publishes at most six significant digits; 10 decimals keep small rates exact. */
    unitsPerEur: decimal('units_per_eur', { precision: 24, scale: 10 }).notNull(),
  },
  (t) => [primaryKey({ name: 'exchange_rate_currency_date', columns: [t.currency, t.rateDate] })],
);

export type ExchangeRateRow = typeof exchangeRate.$inferSelect;
