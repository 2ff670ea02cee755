import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { RowDataPacket } from 'mysql2/promise';
import first from '../../../fixtures/contribution-tracking-first.json';
import update from '../../../fixtures/contribution-tracking-update.json';
import { createLogger } from '../../../lib/log';
import { writeTrackingBatch, type TrackingBatchItem } from '../../../lib/tracking/batch-writer';
import { loadRates, parseEcbRates } from '../../../lib/tracking/exchange-rates';
import { rebuildTrackingSummary } from '../../../lib/tracking/rebuild';
import { createTestDatabase, type TestDatabase } from '../../support/database';

const logger = createLogger({ component: 'test' }, { level: 'silent' });
const RATES = path.resolve(__dirname, '../../../fixtures/exchange-rates/eurofxref-sample.xml');
let counter = 0;
const item = (body: unknown): TrackingBatchItem => ({ key: `k${++counter}`, body: JSON.stringify(body) });

jest.setTimeout(120_000);

describe('contribution_tracking_detail', () => {
  let database: TestDatabase;

  beforeEach(async () => {
    database = await createTestDatabase();
    await loadRates(database.pool, parseEcbRates(readFileSync(RATES, 'utf8')));
  });

  afterEach(async () => {
    await database.drop();
  });

  const detail = async (id: number) => {
    const [rows] = await database.pool.query<RowDataPacket[]>('SELECT * FROM contribution_tracking_detail WHERE id = ?', [id]);
    return rows[0];
  };
  /** Both summaries and the source split, ordered, for comparing whole tables. */
  const snapshot = async () => {
    const read = async (table: string, key: string) => (await database.pool.query<RowDataPacket[]>(`SELECT * FROM ${table} ORDER BY ${key}`))[0];
    return {
      summary: await read('contribution_tracking', 'id'),
      detail: await read('contribution_tracking_detail', 'id'),
      sources: await read('contribution_source', 'contribution_tracking_id'),
    };
  };
  /** Writes the messages in batches of `size`; resolves with how many were refused. */
  const writeInBatches = async (messages: unknown[], size: number) => {
    let rejected = 0;
    for (let i = 0; i < messages.length; i += size) {
      const outcomes = await writeTrackingBatch(database.pool, messages.slice(i, i + size).map(item), logger);
      rejected += [...outcomes.values()].filter((o) => o.status === 'rejected').length;
    }
    return rejected;
  };

  it('should spell the fixtures out in the newer columns, with the banner details of utm_source', async () => {
    await writeTrackingBatch(database.pool, [item(first), item(update)], logger);

    expect(await detail(48213377)).toEqual({
      id: 48213377,
      contribution_id: 95011231,
      amount: '25.00',
      currency: 'BRL',
      usd_amount: '4.20',
      is_recurring: null,
      gateway: 'astropay',
      appeal: null,
      payments_form_variant: 'cc_default',
      banner: 'B2425_1127_ptBR_dsk_p1_lg_txt_cnt',
      banner_variant: '1127',
      banner_size: 'large',
      is_test_variant: 0,
      landing_page: 'no-LP',
      payment_method: 'cc',
      payment_submethod: null,
      language: 'pt',
      country: 'BR',
      tracking_date: new Date('2024-11-27T13:00:00Z'),
      device_type: 'desktop',
      browser: null,
      browser_version: null,
      os: null,
      os_version: null,
      is_pay_fee: 1,
      mailing_identifier: null,
      utm_source: 'B2425_1127_ptBR_dsk_p1_lg_txt_cnt.no-LP.cc',
      utm_medium: 'sitenotice',
      utm_campaign: 'C2425_ptBR_dsk_FR',
      utm_key: 'vw_1366.vh_657.ptf_1.time_22',
      referrer: 'https://pt.wikipedia.org/wiki/Recife',
    });
  });

  it('should prefer the newer frontend fields, and ignore them when their type is wrong rather than reject', async () => {
    const outcomes = await writeTrackingBatch(
      database.pool,
      [
        item({ id: '21', ts: '20241127130000', form_amount: 'BRL 25.00', payments_form: 'astropay.v=cc_default', utm_source: 'sp12345678_x.lp.cc' }),
        item({ id: '21', ts: '20241127130100', amount: '10', currency: 'eur', gateway: 'adyen', payment_method: 'cc', payment_submethod: 'visa', is_recurring: 'true', browser: 'Firefox', os: { bad: 1 } }),
      ],
      logger,
    );

    expect([...outcomes.values()].map((o) => o.status)).toEqual(['stored', 'stored']);
    expect(await detail(21)).toMatchObject({
      amount: '10.00',
      currency: 'EUR',
      usd_amount: '10.50',
      gateway: 'adyen',
      payments_form_variant: 'cc_default',
      payment_method: 'cc',
      payment_submethod: 'visa',
      is_recurring: 1,
      browser: 'Firefox',
      os: null,
      mailing_identifier: 'sp12345678',
      banner: null,
      landing_page: 'lp',
    });
  });

  describe('with 4,000 random messages over 400 ids', () => {
    const messages = randomMessages(400, 4000, seededRandom(1127));

    it('should leave both live tables equal to their rebuild, and the check clean, with messages without ts among them', async () => {
      const withUndated = randomMessages(400, 4000, seededRandom(1127), { undated: 0.1 });
      const undated = withUndated.filter((m) => m.ts === undefined && m.tracking_date === undefined).length;
      expect(undated).toBeGreaterThan(200);
      expect(await writeInBatches(withUndated, 250)).toBe(0);
      const [[logged]] = await database.pool.query<RowDataPacket[]>('SELECT COUNT(*) AS n FROM contribution_tracking_event WHERE ts IS NULL');
      expect(Number(logged!.n)).toBe(undated);
      const live = await snapshot();
      await database.pool.query('DELETE FROM contribution_tracking');
      await database.pool.query('DELETE FROM contribution_tracking_detail');
      await database.pool.query('DELETE FROM contribution_source');

      const rebuild = await rebuildTrackingSummary(database.pool, logger, { chunkSize: 150 });

      expect(rebuild.ids).toBe(400);
      expect(live.detail).toHaveLength(400);
      expect(live.detail.some((row) => row.usd_amount !== null)).toBe(true);
      expect(await snapshot()).toEqual(live);
      expect((await rebuildTrackingSummary(database.pool, logger, { check: true })).differing).toEqual([]);
    });

    it('should reach the same tables when the messages arrive in reverse order', async () => {
      expect(await writeInBatches(messages, 250)).toBe(0);
      const forward = await snapshot();
      for (const table of ['contribution_tracking', 'contribution_tracking_detail', 'contribution_source', 'contribution_tracking_event']) {
        await database.pool.query(`DELETE FROM ${table}`);
      }

      await writeInBatches([...messages].reverse(), 250);

      expect(await snapshot()).toEqual(forward);
    });

    it('should report a detail row that differs from the log, and repair it', async () => {
      await writeInBatches(messages, 500);
      await database.pool.query("UPDATE contribution_tracking_detail SET banner = 'edited' WHERE id = 600010");

      const check = await rebuildTrackingSummary(database.pool, logger, { check: true });
      await rebuildTrackingSummary(database.pool, logger);

      expect(check.differing).toEqual([600010]);
      expect((await rebuildTrackingSummary(database.pool, logger, { check: true })).differing).toEqual([]);
    });
  });
});

/** mulberry32, so that a failure can be replayed. */
function seededRandom(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Distinct messages (a nonce each) over `ids` ids, every id at least once; each at its own
 * moment over three days, so that rate days vary (ties are covered by consume-contribution-tracking.test.ts), a share
 * of them (`undated`) at none. One contribution_id per id, so that no message is refused in either order.
 */
function randomMessages(ids: number, count: number, random: () => number, options: { undated?: number } = {}): Array<Record<string, string>> {
  const pick = <T>(values: readonly T[]): T => values[Math.floor(random() * values.length)]!;
  const messages: Array<Record<string, string>> = [];
  for (let i = 0; i < count; i++) {
    const id = 600_000 + (i < ids ? i : Math.floor(random() * ids));
    // A moment of its own per message: ties go by arrival, which reversing the order would change.
    const seconds = 13 * 3600 + i;
    const clock = [Math.floor(seconds / 3600), Math.floor(seconds / 60) % 60, seconds % 60].map((n) => String(n).padStart(2, '0')).join('');
    const day = pick(['25', '26', '27']);
    const m: Record<string, string> = { id: String(id), nonce: String(i) };
    // The CRM's messages carry tracking_date instead of ts, or (its contribution_id update) no time:
    // those are applied where they arrive, so only the order-independence test goes without them.
    const dated = random();
    if (dated < (options.undated ?? 0)) {
      // no time
    } else if (dated < 0.25) m.tracking_date = `2024-11-${day} ${clock.slice(0, 2)}:${clock.slice(2, 4)}:${clock.slice(4)}`;
    else m.ts = `202411${day}${clock}`;
    if (random() < 0.4) m.utm_source = pick(['B1_v2_dsk_lg_cnt.lp1.cc', 'B2_v3_m_sm_x.no-LP.paypal', 'sp70000001.d', 'plain', 'a.b']);
    if (random() < 0.3) m.form_amount = pick(['EUR 15.00', 'BRL 25.00', 'USD 3', 'XAF 500', 'junk']);
    if (random() < 0.2) m.amount = pick(['5', '7.125', 'x']);
    if (random() < 0.2) m.currency = pick(['GBP', 'JPY', 'ZZZ']);
    if (random() < 0.2) m.payments_form = pick(['astropay.v=cc_default', 'paypal', 'adyen.v=2']);
    if (random() < 0.2) m.gateway = pick(['adyen', 'paypal_ec']);
    if (random() < 0.2) m.payment_method = pick(['cc', 'rtbt']);
    if (random() < 0.2) m.is_recurring = pick(['0', '1']);
    if (random() < 0.2) m.utm_key = pick(['vw_1.ptf_1', 'vw_2']);
    if (random() < 0.2) m.country = pick(['BR', 'DE', 'FRA']);
    if (random() < 0.2) m.browser = pick(['Firefox', 'b'.repeat(200)]);
    if (random() < 0.05) m.contribution_id = String(id * 10 + 1);
    messages.push(m);
  }
  for (let i = messages.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [messages[i], messages[j]] = [messages[j]!, messages[i]!];
  }
  return messages;
}
