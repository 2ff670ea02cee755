import type { RowDataPacket } from 'mysql2/promise';
import audit from '../../../fixtures/contribution-tracking-audit.json';
import crmContribution from '../../../fixtures/contribution-tracking-crm-contribution.json';
import crmGenerated from '../../../fixtures/contribution-tracking-crm-generated.json';
import first from '../../../fixtures/contribution-tracking-first.json';
import frontend from '../../../fixtures/contribution-tracking-frontend.json';
import update from '../../../fixtures/contribution-tracking-update.json';
import { createLogger } from '../../../lib/log';
import { writeTrackingBatch, type TrackingBatchItem } from '../../../lib/tracking/batch-writer';
import { ContributionIdConflictError, MalformedTrackingMessageError } from '../../../lib/tracking/errors';
import { rebuildTrackingSummary } from '../../../lib/tracking/rebuild';
import { createTestDatabase, type TestDatabase } from '../../support/database';

const logger = createLogger({ component: 'test' }, { level: 'silent' });
let counter = 0;
const item = (body: unknown): TrackingBatchItem => ({ key: `k${++counter}`, body: typeof body === 'string' ? body : JSON.stringify(body) });

// The project's testTimeout is not applied per project by Jest 30; on a loaded machine these take seconds.
jest.setTimeout(60_000);

describe('writeTrackingBatch', () => {
  let database: TestDatabase;

  beforeEach(async () => {
    database = await createTestDatabase();
  });

  afterEach(async () => {
    await database.drop();
  });

  const summary = async (id: number) => {
    const [rows] = await database.pool.query<RowDataPacket[]>('SELECT * FROM contribution_tracking WHERE id = ?', [id]);
    return rows[0];
  };
  const count = async (table: string) => {
    const [rows] = await database.pool.query<RowDataPacket[]>(`SELECT COUNT(*) AS n FROM ${table}`);
    return Number(rows[0]!.n);
  };

  it('should turn the two fixtures into one summary row, two events and the contribution_source row', async () => {
    const outcomes = await writeTrackingBatch(database.pool, [item(first), item(update)], logger);

    expect([...outcomes.values()]).toEqual([{ status: 'stored' }, { status: 'stored' }]);
    expect(await summary(48213377)).toEqual({
      id: 48213377,
      contribution_id: 95011231,
      form_amount: 'BRL 25.00',
      usd_amount: null,
      note: null,
      referrer: 'https://pt.wikipedia.org/wiki/Recife',
      anonymous: 0,
      utm_source: 'B2425_1127_ptBR_dsk_p1_lg_txt_cnt.no-LP.cc',
      utm_medium: 'sitenotice',
      utm_campaign: 'C2425_ptBR_dsk_FR',
      utm_key: 'vw_1366.vh_657.ptf_1.time_22',
      payments_form: 'astropay.v=cc_default',
      optout: 1,
      language: 'pt',
      country: 'BR',
      ts: '20241127130000',
    });
    expect(await count('contribution_tracking_event')).toBe(2);
    const [sources] = await database.pool.query<RowDataPacket[]>('SELECT * FROM contribution_source');
    expect(sources).toEqual([
      { contribution_tracking_id: 48213377, banner: 'B2425_1127_ptBR_dsk_p1_lg_txt_cnt', landing_page: 'no-LP', payment_method: 'cc' },
    ]);
  });

  it('should change nothing when the same messages are delivered again, even with new source_* fields', async () => {
    await writeTrackingBatch(database.pool, [item(first), item(update)], logger);
    const before = await summary(48213377);

    const outcomes = await writeTrackingBatch(
      database.pool,
      [item({ ...first, source_enqueued_time: 1732712401, source_run_id: 'again' }), item(update), item(update)],
      logger,
    );

    expect([...outcomes.values()].map((o) => o.status)).toEqual(['duplicate', 'duplicate', 'duplicate']);
    expect(await summary(48213377)).toEqual(before);
    expect(await count('contribution_tracking_event')).toBe(2);
    expect(await count('contribution_source')).toBe(1);
  });

  it('should store the new messages of a batch that also redelivers a stored one, and only those', async () => {
    await writeTrackingBatch(database.pool, [item(first)], logger);

    const outcomes = await writeTrackingBatch(database.pool, [item({ id: '16', ts: '20241127130000', country: 'DE' }), item(first), item(update)], logger);

    expect([...outcomes.values()].map((o) => o.status)).toEqual(['stored', 'duplicate', 'stored']);
    expect(await count('contribution_tracking_event')).toBe(3);
    expect(await summary(48213377)).toMatchObject({ contribution_id: 95011231, form_amount: 'BRL 25.00' });
    expect(await summary(16)).toMatchObject({ country: 'DE' });
  });

  it('should give the same final row when the update arrives first, in a separate batch', async () => {
    await writeTrackingBatch(database.pool, [item(first), item(update)], logger);
    const inOrder = await summary(48213377);
    await database.pool.query('DELETE FROM contribution_tracking');
    await database.pool.query('DELETE FROM contribution_tracking_event');
    await database.pool.query('DELETE FROM contribution_source');

    await writeTrackingBatch(database.pool, [item(update)], logger);
    const partial = await summary(48213377);
    await writeTrackingBatch(database.pool, [item(first)], logger);

    expect(partial).toMatchObject({ contribution_id: 95011231, ts: '20241127130412', utm_source: null });
    expect(await summary(48213377)).toEqual(inOrder);
  });

  it('should reject a different contribution_id for the same id with both values, and keep it out of the log', async () => {
    await writeTrackingBatch(database.pool, [item(first), item(update)], logger);

    const outcomes = await writeTrackingBatch(database.pool, [item({ ...update, ts: '20241127130500', contribution_id: '95011299' })], logger);

    const [outcome] = [...outcomes.values()];
    expect(outcome).toEqual({ status: 'rejected', error: expect.any(ContributionIdConflictError) });
    const message = (outcome as { error: Error }).error.message;
    expect(message).toContain('95011231');
    expect(message).toContain('95011299');
    expect((await summary(48213377))!.contribution_id).toBe(95011231);
    expect(await count('contribution_tracking_event')).toBe(2);
  });

  it('should reject a contribution_id that belongs to another tracking id and leave no row behind', async () => {
    await writeTrackingBatch(database.pool, [item(first), item(update)], logger);

    const outcomes = await writeTrackingBatch(database.pool, [item({ id: '48213378', ts: '20241127130500', contribution_id: '95011231' })], logger);

    expect([...outcomes.values()][0]).toEqual({ status: 'rejected', error: expect.any(ContributionIdConflictError) });
    expect(await summary(48213378)).toBeUndefined();
  });

  it('should truncate over-long values to their column with a warning, never reject', async () => {
    const lines: string[] = [];
    const warnLogger = createLogger({ component: 'test' }, { level: 'warn', destination: { write: (line: string) => lines.push(line) } });

    const outcomes = await writeTrackingBatch(
      database.pool,
      [item({ id: '11', ts: '20241127130000', country: 'BRA', utm_campaign: 'c'.repeat(300) })],
      warnLogger,
    );

    expect([...outcomes.values()]).toEqual([{ status: 'stored' }]);
    expect(await summary(11)).toMatchObject({ country: 'BR', utm_campaign: 'c'.repeat(128) });
    const warnings = lines.map((line) => JSON.parse(line));
    expect(warnings).toEqual([
      expect.objectContaining({ field: 'utm_campaign', length: 300, limit: 128, contributionTrackingId: 11 }),
      expect.objectContaining({ field: 'country', length: 3, limit: 2, contributionTrackingId: 11 }),
    ]);
    expect(lines.join('')).not.toContain('BRA');
  });

  it('should keep unknown fields in the event log and ignore them in the summary', async () => {
    const body = { id: '12', ts: '20241127130000', country: 'DE', experiment: 'b' };

    await writeTrackingBatch(database.pool, [item(body)], logger);

    const [events] = await database.pool.query<RowDataPacket[]>('SELECT message FROM contribution_tracking_event');
    expect(JSON.parse(events[0]!.message)).toEqual(body);
    expect(await summary(12)).toMatchObject({ country: 'DE', ts: '20241127130000' });
  });

  it('should reject malformed messages with their reason and store the rest of the batch', async () => {
    const outcomes = await writeTrackingBatch(
      database.pool,
      [item({ ts: '20241127130000' }), item({ id: 'x', ts: '20241127130000' }), item({ id: '13', ts: '2024' }), item('not json'), item({ id: '14', ts: '20241127130000' })],
      logger,
    );

    const reasons = [...outcomes.values()].map((o) => (o.status === 'rejected' ? o.error.message : o.status));
    expect(reasons).toEqual([
      'id is missing',
      'id must be a positive whole number',
      'ts must be 14 digits, YYYYmmddHHMMSS in UTC',
      'body is not valid JSON',
      'stored',
    ]);
    expect([...outcomes.values()].filter((o) => o.status === 'rejected').every((o) => (o as { error: Error }).error instanceof MalformedTrackingMessageError)).toBe(true);
    expect(await count('contribution_tracking_event')).toBe(1);
  });

  it('should leave rows written before the cutover alone in the columns no event sets', async () => {
    await database.pool.query("INSERT INTO contribution_tracking (id, usd_amount, utm_medium, ts) VALUES (15, 12.50, 'legacy', '20241101000000')");

    await writeTrackingBatch(database.pool, [item({ id: '15', ts: '20241127130000', country: 'FR' })], logger);

    expect(await summary(15)).toMatchObject({ usd_amount: '12.50', utm_medium: 'legacy', country: 'FR', ts: '20241101000000' });
  });

  describe('with the messages the CRM sends without ts', () => {
    const events = async (id: number) =>
      (await database.pool.query<RowDataPacket[]>('SELECT ts FROM contribution_tracking_event WHERE contribution_tracking_id = ? ORDER BY id', [id]))[0];
    const trackingDate = async (id: number) =>
      (await database.pool.query<RowDataPacket[]>('SELECT contribution_id, tracking_date FROM contribution_tracking_detail WHERE id = ?', [id]))[0][0];

    it("should set contribution_id from the CRM's update and leave ts alone, whichever arrives first", async () => {
      await writeTrackingBatch(database.pool, [item(frontend)], logger);
      const outcomes = await writeTrackingBatch(database.pool, [item(crmContribution), item(crmContribution)], logger);
      const inOrder = await summary(48213400);
      const inOrderDetail = await trackingDate(48213400);
      const inOrderEvents = await events(48213400);
      for (const table of ['contribution_tracking', 'contribution_tracking_detail', 'contribution_source', 'contribution_tracking_event']) {
        await database.pool.query(`DELETE FROM ${table}`);
      }

      await writeTrackingBatch(database.pool, [item(crmContribution)], logger);
      const partial = await summary(48213400);
      await writeTrackingBatch(database.pool, [item(frontend)], logger);

      expect([...outcomes.values()].map((o) => o.status)).toEqual(['stored', 'duplicate']);
      expect(inOrder).toMatchObject({ contribution_id: 95011240, ts: '20241127131500', utm_source: frontend.utm_source, country: 'GB' });
      expect(inOrderDetail).toEqual({ contribution_id: 95011240, tracking_date: new Date('2024-11-27T13:15:00Z') });
      expect(inOrderEvents).toEqual([{ ts: '20241127131500' }, { ts: null }]);
      expect(partial).toMatchObject({ contribution_id: 95011240, ts: null, utm_source: null });
      expect(await summary(48213400)).toEqual(inOrder);
      expect(await trackingDate(48213400)).toEqual(inOrderDetail);
      expect((await rebuildTrackingSummary(database.pool, logger, { check: true })).differing).toEqual([]);
    });

    it("should take tracking_date as the time of the CRM's own new records", async () => {
      const outcomes = await writeTrackingBatch(database.pool, [item(crmGenerated), item(audit)], logger);

      expect([...outcomes.values()].map((o) => o.status)).toEqual(['stored', 'stored']);
      expect(await summary(48213401)).toMatchObject({ ts: '20241127132000', utm_source: '..cc', utm_medium: 'civicrm', utm_campaign: null, country: 'BR' });
      expect(await summary(48213402)).toMatchObject({ ts: '20241127132500', utm_source: 'audit..cc', utm_medium: 'audit', language: null, country: null });
      expect([...(await events(48213401)), ...(await events(48213402))]).toEqual([{ ts: '20241127132000' }, { ts: '20241127132500' }]);
      expect(await trackingDate(48213402)).toEqual({ contribution_id: null, tracking_date: new Date('2024-11-27T13:25:00Z') });
      expect((await rebuildTrackingSummary(database.pool, logger, { check: true })).differing).toEqual([]);
    });
  });
});
