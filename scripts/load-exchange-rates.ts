/**
 * `npm run rates:load -- <file>`: loads an ECB reference rates file (eurofxref XML or CSV, daily
 * or history) into `exchange_rate`. Idempotent: a rate already stored for its currency and day is
 * replaced by the file's. Summaries written before a rate arrived keep usd_amount NULL until
 * `npm run tracking:rebuild`.
 */
import { readFileSync } from 'node:fs';
import { coreConfig } from '../lib/config';
import { openDatabase } from '../lib/db/client';
import { log } from '../lib/log';
import { loadRates, parseEcbRates } from '../lib/tracking/exchange-rates';

async function main(): Promise<number> {
  const file = process.argv[2];
  if (!file) {
    log.error('usage: npm run rates:load -- <eurofxref file>');
    return 2;
  }
  const rates = parseEcbRates(readFileSync(file, 'utf8'));
  const database = openDatabase(coreConfig().DATABASE_URL, { connectionLimit: 2 });
  try {
    const stored = await loadRates(database.pool, rates);
    const dates = [...new Set(rates.map((rate) => rate.date))].sort();
    log.info({ rates: stored, days: dates.length, from: dates[0], to: dates[dates.length - 1] }, 'exchange rates loaded');
    return 0;
  } finally {
    await database.close();
  }
}

main().then(
  (code) => process.exit(code),
  (error) => {
    log.fatal({ err: error }, 'loading exchange rates failed');
    process.exit(1);
  },
);
