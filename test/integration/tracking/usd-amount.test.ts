import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { RowDataPacket } from 'mysql2/promise';
import first from '../../../fixtures/contribution-tracking-first.json';
import { createLogger } from '../../../lib/log';
import { writeTrackingBatch, type TrackingBatchItem } from '../../../lib/tracking/batch-writer';
import { loadRates, parseEcbRates } from '../../../lib/tracking/exchange-rates';
import { rebuildTrackingSummary } from '../../../lib/tracking/rebuild';
import { createTestDatabase, type TestDatabase } from '../../support/database';

const logger = createLogger({ component: 'test' }, { level: 'silent' });
const FIXTURES = path.resolve(__dirname, '../../../fixtures/exchange-rates');
const ratesFile = (name: string) => parseEcbRates(readFileSync(path.join(FIXTURES, name), 'utf8'));
let counter = 0;
const item = (body: unknown): TrackingBatchItem => ({ key: `k${++counter}`, body: JSON.stringify(body) });

jest.setTimeout(60_000);

describe('usd_amount of contribution_tracking', () => {
  let database: TestDatabase;

  beforeEach(async () => {
    database = await createTestDatabase();
  });

  afterEach(async () => {
    await database.drop();
  });

  const usd = async (id: number) => {
    const [rows] = await database.pool.query<RowDataPacket[]>('SELECT usd_amount FROM contribution_tracking WHERE id = ?', [id]);
    return rows[0]?.usd_amount as string | null | undefined;
  };

  it('should convert the fixture form_amount at the euro cross rate of its day', async () => {
    await loadRates(database.pool, ratesFile('eurofxref-sample.xml'));

    await writeTrackingBatch(database.pool, [item(first)], logger);

    // BRL 25.00 on 2024-11-27: 25 · 1.0500 / 6.2500
    expect(await usd(48213377)).toBe('4.20');
  });

  it('should use the latest rate on or before the day, and dollars and euros alike', async () => {
    await loadRates(database.pool, ratesFile('eurofxref-sample.xml'));

    await writeTrackingBatch(
      database.pool,
      [
        item({ id: '1', ts: '20241126235959', form_amount: 'BRL 30.00' }),
        item({ id: '2', ts: '20241130120000', form_amount: 'EUR 15.00' }),
        item({ id: '3', ts: '20241127000000', form_amount: 'USD 10' }),
      ],
      logger,
    );

    // 2024-11-26 has no rates: those of the 25th (30 · 1.04 / 6); the 30th: those of the 27th.
    expect(await usd(1)).toBe('5.20');
    expect(await usd(2)).toBe('15.75');
    expect(await usd(3)).toBe('10.00');
  });

  it('should store a message whose currency has no rate with usd_amount NULL and a warning without the amount', async () => {
    await loadRates(database.pool, ratesFile('eurofxref-sample.xml'));
    const lines: string[] = [];
    const warnLogger = createLogger({ component: 'test' }, { level: 'warn', destination: { write: (line: string) => lines.push(line) } });

    const outcomes = await writeTrackingBatch(
      database.pool,
      [
        item({ id: '4', ts: '20241127130000', form_amount: 'XAF 98765' }),
        item({ id: '5', ts: '20241101000000', form_amount: 'BRL 43210' }),
        item({ id: '6', ts: '20241127130000', form_amount: 'a lot' }),
      ],
      warnLogger,
    );

    expect([...outcomes.values()]).toEqual([{ status: 'stored' }, { status: 'stored' }, { status: 'stored' }]);
    expect([await usd(4), await usd(5), await usd(6)]).toEqual([null, null, null]);
    const warnings = lines.map((line) => JSON.parse(line));
    expect(warnings).toEqual([
      expect.objectContaining({ contributionTrackingId: 4, reason: 'no-rate', currency: 'XAF', rateDate: '2024-11-27' }),
      expect.objectContaining({ contributionTrackingId: 5, reason: 'no-rate', currency: 'BRL', rateDate: '2024-11-01' }),
      expect.objectContaining({ contributionTrackingId: 6, reason: 'amount-unreadable' }),
    ]);
    expect(lines.join('')).not.toMatch(/98765|43210|a lot/);
  });

  it('should price an amount from a message without ts at the ts it follows, and leave it NULL with a warning when no message has one', async () => {
    await loadRates(database.pool, ratesFile('eurofxref-sample.xml'));
    const lines: string[] = [];
    const warnLogger = createLogger({ component: 'test' }, { level: 'warn', destination: { write: (line: string) => lines.push(line) } });

    await writeTrackingBatch(
      database.pool,
      [item({ id: '10', ts: '20241125120000', country: 'GB' }), item({ id: '10', form_amount: 'GBP 8.30' }), item({ id: '11', form_amount: 'GBP 8.30' })],
      warnLogger,
    );

    // GBP 8.30 at the rates of 2024-11-25, the day of the message it follows: 8.3 · 1.04 / 0.83
    expect(await usd(10)).toBe('10.40');
    expect(await usd(11)).toBeNull();
    expect(lines.map((line) => JSON.parse(line))).toEqual([expect.objectContaining({ contributionTrackingId: 11, reason: 'no-date', currency: 'GBP' })]);
    expect(lines.join('')).not.toContain('8.30');
  });

  it('should leave usd_amount NULL rather than fail the batch when the dollar value does not fit the column', async () => {
    await loadRates(database.pool, [{ currency: 'XTS', date: '2024-11-27', unitsPerEur: '0.0000001' }, { currency: 'USD', date: '2024-11-27', unitsPerEur: '1.05' }]);

    const outcomes = await writeTrackingBatch(database.pool, [item({ id: '9', ts: '20241127130000', form_amount: 'XTS 9999999999999999' })], logger);

    expect([...outcomes.values()]).toEqual([{ status: 'stored' }]);
    expect(await usd(9)).toBeNull();
  });

  it('should follow a later form_amount, to NULL when that one cannot be converted', async () => {
    await loadRates(database.pool, ratesFile('eurofxref-sample.xml'));
    await writeTrackingBatch(database.pool, [item({ id: '7', ts: '20241127130000', form_amount: 'EUR 10.00' })], logger);
    const before = await usd(7);

    await writeTrackingBatch(database.pool, [item({ id: '7', ts: '20241127130100', form_amount: 'XAF 5000' })], logger);

    expect(before).toBe('10.50');
    expect(await usd(7)).toBeNull();
  });

  it('should load the same file twice without a change, and let a later file add days', async () => {
    await loadRates(database.pool, ratesFile('eurofxref-sample.xml'));
    const [once] = await database.pool.query<RowDataPacket[]>('SELECT * FROM exchange_rate ORDER BY currency, rate_date');

    await loadRates(database.pool, ratesFile('eurofxref-sample.xml'));
    const [twice] = await database.pool.query<RowDataPacket[]>('SELECT * FROM exchange_rate ORDER BY currency, rate_date');
    await loadRates(database.pool, ratesFile('eurofxref-sample.csv'));
    const [more] = await database.pool.query<RowDataPacket[]>('SELECT COUNT(*) AS n FROM exchange_rate');

    expect(once).toHaveLength(8);
    expect(twice).toEqual(once);
    expect(Number(more[0]!.n)).toBe(12);
  });

  it('should be derivable from the event log and the rates: a rate loaded late makes the check fail until a rebuild', async () => {
    await writeTrackingBatch(database.pool, [item(first), item({ id: '8', ts: '20241128090000', form_amount: 'GBP 5.00' })], logger);
    expect((await rebuildTrackingSummary(database.pool, logger, { check: true })).differing).toEqual([]);

    await loadRates(database.pool, ratesFile('eurofxref-sample.xml'));
    const stale = await rebuildTrackingSummary(database.pool, logger, { check: true });
    await rebuildTrackingSummary(database.pool, logger);

    expect(stale.differing).toEqual([8, 48213377]);
    expect(await usd(48213377)).toBe('4.20');
    // GBP 5.00 on 2024-11-28 with the rates of the 27th: 5 · 1.05 / 0.835 = 6.287…
    expect(await usd(8)).toBe('6.29');
    expect((await rebuildTrackingSummary(database.pool, logger, { check: true })).differing).toEqual([]);
  });
});
