import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { RowDataPacket } from 'mysql2/promise';
import crmContribution from '../../../fixtures/contribution-tracking-crm-contribution.json';
import frontend from '../../../fixtures/contribution-tracking-frontend.json';
import { createLogger } from '../../../lib/log';
import { writeTrackingBatch, type TrackingBatchItem } from '../../../lib/tracking/batch-writer';
import { loadRates, parseEcbRates } from '../../../lib/tracking/exchange-rates';
import { rebuildTrackingSummary } from '../../../lib/tracking/rebuild';
import { createTestDatabase, type TestDatabase } from '../../support/database';

const logger = createLogger({ component: 'test' }, { level: 'silent' });
const RATES = path.resolve(__dirname, '../../../fixtures/exchange-rates/eurofxref-sample.xml');
let counter = 0;
const item = (body: unknown): TrackingBatchItem => ({ key: `k${++counter}`, body: JSON.stringify(body) });

jest.setTimeout(60_000);

type Newer = { amount?: string | number; currency?: string; gateway?: string; appeal?: string; payments_form_variant?: string };

/** Amounts and forms as the newer frontend sends them, and the edges of the CRM's rounding. */
const CASES: Newer[] = [
  { amount: '10', currency: 'GBP', gateway: 'adyen', appeal: 'JimmyQuote', payments_form_variant: 'monthlyConvert' },
  { amount: '10.5', currency: 'EUR', gateway: 'paypal_ec', payments_form_variant: 'monthlyConvert' },
  { amount: '10.005', currency: 'EUR', gateway: 'ingenico', appeal: '' },
  // decimal(20,3) keeps 10.005 of it, which ROUND(…, 2) takes up again
  { amount: '10.0049', currency: 'EUR', gateway: 'ingenico' },
  { amount: '0.0049', currency: 'JPY' },
  { amount: '0.0044', currency: 'JPY' },
  { amount: '2.675', currency: 'USD' },
  { amount: '99.995', currency: 'USD' },
  { amount: '1000', currency: 'JPY', gateway: 'dlocal', appeal: 'JimmyQuote' },
  { amount: '007.10', currency: 'usd' },
  { amount: ' 12.5 ', currency: 'BRL' },
  { amount: 12.5, currency: 'BRL' },
  { amount: '1234567890.125', currency: 'CLP' },
  { amount: '10', gateway: 'adyen', appeal: 'JimmyQuote' },
  { currency: 'GBP', payments_form_variant: 'monthlyConvert' },
];

describe("form_amount and payments_form from the newer frontend's fields", () => {
  let database: TestDatabase;

  beforeEach(async () => {
    database = await createTestDatabase();
  });

  afterEach(async () => {
    await database.drop();
  });

  it("should be what the CRM's view made of them over the CRM's column types", async () => {
    // The CRM tracking table's columns that the view read, with their types.
    await database.pool.query(
      'CREATE TABLE crm_tracking (id int unsigned PRIMARY KEY, amount decimal(20,3), currency varchar(3), gateway varchar(32), appeal varchar(64), payments_form_variant varchar(64))',
    );
    const rows = CASES.map((c, i) => [i + 1, c.amount ?? null, c.currency ?? null, c.gateway ?? null, c.appeal ?? null, c.payments_form_variant ?? null]);
    await database.pool.query('INSERT INTO crm_tracking VALUES ?', [rows]);

    const outcomes = await writeTrackingBatch(database.pool, CASES.map((c, i) => item({ id: String(i + 1), ts: '20241127130000', ...c })), logger);

    expect([...outcomes.values()].every((o) => o.status === 'stored')).toBe(true);
    const [view] = await database.pool.query<RowDataPacket[]>(
      "SELECT id, concat(currency, ' ', ROUND(amount, 2)) AS form_amount, concat(gateway, '.', ifnull(appeal, concat('v=', payments_form_variant))) AS payments_form FROM crm_tracking ORDER BY id",
    );
    const [ours] = await database.pool.query<RowDataPacket[]>('SELECT id, form_amount, payments_form FROM contribution_tracking ORDER BY id');
    expect(view.filter((row) => row.form_amount !== null).length).toBeGreaterThan(10);
    expect(view.filter((row) => row.payments_form !== null).length).toBeGreaterThan(3);
    expect(ours).toEqual(view);
  });

  it("should give the current frontend's messages a form_amount, a payments_form and the usd_amount of that form_amount", async () => {
    await loadRates(database.pool, parseEcbRates(readFileSync(RATES, 'utf8')));

    await writeTrackingBatch(database.pool, [item(frontend), item(crmContribution)], logger);

    const [[row]] = await database.pool.query<RowDataPacket[]>('SELECT form_amount, payments_form, usd_amount, contribution_id FROM contribution_tracking WHERE id = 48213400');
    // GBP 10.00 on 2024-11-27: 10 · 1.0500 / 0.83500 = 12.574…
    expect(row).toEqual({ form_amount: 'GBP 10.00', payments_form: 'adyen.JimmyQuote', usd_amount: '12.57', contribution_id: 95011240 });
    expect((await rebuildTrackingSummary(database.pool, logger, { check: true })).differing).toEqual([]);
  });

  it('should leave the row a rebuild gives when an older message without a usable amount arrives after one that made form_amount', async () => {
    await writeTrackingBatch(database.pool, [item({ id: '7', ts: '20241127130300', amount: '7.125', currency: 'GBP' })], logger);
    const made = (await database.pool.query<RowDataPacket[]>('SELECT form_amount FROM contribution_tracking WHERE id = 7'))[0][0];

    await writeTrackingBatch(database.pool, [item({ id: '7', ts: '20241127130100', currency: 'POUND' })], logger);

    expect(made).toEqual({ form_amount: 'GBP 7.13' });
    expect((await database.pool.query<RowDataPacket[]>('SELECT form_amount FROM contribution_tracking WHERE id = 7'))[0][0]).toEqual(made);
    expect((await rebuildTrackingSummary(database.pool, logger, { check: true })).differing).toEqual([]);
  });
});
