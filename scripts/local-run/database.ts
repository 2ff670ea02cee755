/** The run's own database: dropped, migrated and given the sample exchange rates at each start. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import mysql from 'mysql2/promise';
import { migrateDatabase, openDatabase } from '../../lib/db/client';
import { loadRates, parseEcbRates } from '../../lib/tracking/exchange-rates';

/**
 * Drops the run's database, applies every migration to a fresh one and loads the sample ECB
 * reference rates (as a deployment loads the day's file with `npm run rates:load`), so that
 * tracking messages get their usd_amount.
 */
export async function recreateDatabase(url: string): Promise<void> {
  const target = new URL(url);
  const name = target.pathname.slice(1);
  target.pathname = '/';
  const admin = await mysql.createConnection({ uri: target.toString() });
  try {
    await admin.query(`DROP DATABASE IF EXISTS \`${name}\``);
  } finally {
    await admin.end();
  }
  await migrateDatabase(url);
  const database = openDatabase(url, { connectionLimit: 1 });
  try {
    await loadRates(database.pool, parseEcbRates(readFileSync(SAMPLE_RATES, 'utf8')));
  } finally {
    await database.close();
  }
}

/** Made-up reference rates in the ECB's eurofxref format (fixtures/exchange-rates/). */
const SAMPLE_RATES = path.join(__dirname, '..', '..', 'fixtures', 'exchange-rates', 'eurofxref-sample.xml');
