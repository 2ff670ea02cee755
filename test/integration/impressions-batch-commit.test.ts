/**
 * The effectively-once batch commit against real MariaDB: overlapping, repeated, concurrent
 * and gapped batches, concurrent creation of dimension rows, and the analysts' legacy
 * queries over what it wrote.
 */
import type mysql from 'mysql2/promise';
import { ImpressionsLoader, type RawMessage } from '../../lib/impressions/batch-commit';
import type { ImpressionTopic } from '../../lib/impressions/config';
import { readStoredOffsets } from '../../lib/impressions/offset-store';
import { ReceivedBatches } from '../../lib/impressions/received-batches';
import { createLogger } from '../../lib/log';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { expectedCells, generateBannerEvents, type GeneratedEvent } from '../../scripts/traffic/impression-events';
import { readBannerCells } from '../../scripts/traffic/impression-tables';

const quiet = createLogger({}, { level: 'silent' });
const TOPIC: ImpressionTopic = { topic: 'centralnotice-impressions', kind: 'banner', factor: 100 };
const GROUP = 'loader';

function messages(events: GeneratedEvent[], from: number, to: number): RawMessage[] {
  const result: RawMessage[] = [];
  for (let offset = from; offset < to; offset++) result.push({ offset, value: JSON.stringify(events[offset]!.body) });
  return result;
}

describe('effectively-once batch commit', () => {
  let database: TestDatabase;
  let loader: ImpressionsLoader;

  beforeEach(async () => {
    database = await createTestDatabase();
    loader = new ImpressionsLoader({ db: database.db, pool: database.pool, logger: quiet });
  });

  afterEach(async () => {
    await database.drop();
  });

  it('should apply only the new part of a batch that overlaps one already applied', async () => {
    const events = generateBannerEvents({ count: 300, partitions: 1, seed: 1, minutes: 3 });
    await loader.applyBatch({ consumerGroup: GROUP, topic: TOPIC, partition: 0, messages: messages(events, 0, 200) });

    const result = await loader.applyBatch({ consumerGroup: GROUP, topic: TOPIC, partition: 0, messages: messages(events, 100, 300) });

    expect(result).toMatchObject({ status: 'applied', storedOffset: 200, nextOffset: 300, applied: 100 });
    expect(await readBannerCells(database.pool)).toEqual(expectedCells(events, 100));
  });

  it('should apply batches summed on arrival like raw ones, and apply nothing of one that the stored offset cuts in two', async () => {
    const events = generateBannerEvents({ count: 300, partitions: 1, seed: 10, minutes: 3 });
    const summed = (from: number, to: number) => {
      const received = new ReceivedBatches();
      received.add('p0', { consumerGroup: GROUP, topic: TOPIC, partition: 0 }, messages(events, from, to), 0);
      return received.take(new Set())[0]!.batch;
    };
    await loader.applyAggregated([summed(0, 100)]);

    const [overlap] = await loader.applyAggregated([summed(50, 200)]);
    const cellsAfterOverlap = await readBannerCells(database.pool);
    const [applied] = await loader.applyAggregated([summed(100, 300)]);

    expect(overlap).toMatchObject({ status: 'overlap', storedOffset: 100, nextOffset: 100, applied: 0 });
    expect(cellsAfterOverlap).toEqual(expectedCells(events.slice(0, 100), 100));
    expect(applied).toMatchObject({ status: 'applied', storedOffset: 100, nextOffset: 300, applied: 200 });
    expect(await readBannerCells(database.pool)).toEqual(expectedCells(events, 100));
  });

  it('should skip a batch whose offsets were all applied, whichever loader instance sees it', async () => {
    const events = generateBannerEvents({ count: 100, partitions: 1, seed: 2 });
    await loader.applyBatch({ consumerGroup: GROUP, topic: TOPIC, partition: 0, messages: messages(events, 0, 100) });

    const again = await new ImpressionsLoader({ db: database.db, pool: database.pool, logger: quiet }).applyBatch({ consumerGroup: GROUP, topic: TOPIC, partition: 0, messages: messages(events, 0, 100) });

    expect(again).toMatchObject({ status: 'skipped', applied: 0, nextOffset: 100 });
    expect(await readBannerCells(database.pool)).toEqual(expectedCells(events, 100));
  });

  it('should count a batch once when two loaders commit it at the same time', async () => {
    const events = generateBannerEvents({ count: 2000, partitions: 1, seed: 3 });
    const other = new ImpressionsLoader({ db: database.db, pool: database.pool, logger: quiet });
    const batch = { consumerGroup: GROUP, topic: TOPIC, partition: 0, messages: messages(events, 0, 2000) };

    const results = await Promise.all([loader.applyBatch(batch), other.applyBatch(batch)]);

    expect(results.map((r) => r.status).sort()).toEqual(['applied', 'skipped']);
    expect(await readBannerCells(database.pool)).toEqual(expectedCells(events, 100));
  });

  it('should report a batch that starts after the stored offset without applying it, and apply it when told to accept the gap', async () => {
    const events = generateBannerEvents({ count: 60, partitions: 1, seed: 4, hiddenShare: 0, botShare: 0, invalidShare: 0 });
    await loader.applyBatch({ consumerGroup: GROUP, topic: TOPIC, partition: 0, messages: messages(events, 0, 20) });

    const reported = await loader.applyBatch({ consumerGroup: GROUP, topic: TOPIC, partition: 0, messages: messages(events, 40, 60) }, { onGap: 'report' });
    const cellsAfterReport = await readBannerCells(database.pool);
    const accepted = await loader.applyBatch({ consumerGroup: GROUP, topic: TOPIC, partition: 0, messages: messages(events, 40, 60) }, { onGap: 'accept' });

    expect(reported).toMatchObject({ status: 'gap', storedOffset: 20, applied: 0 });
    expect(cellsAfterReport).toEqual(expectedCells(events.slice(0, 20), 100));
    expect(accepted).toMatchObject({ status: 'applied', storedOffset: 20, nextOffset: 60, applied: 20 });
    expect(await readBannerCells(database.pool)).toEqual(expectedCells([...events.slice(0, 20), ...events.slice(40, 60)], 100));
  });

  it('should apply batches of several partitions in one transaction, each against its own stored offset', async () => {
    const events = generateBannerEvents({ count: 300, partitions: 1, seed: 7, minutes: 2 });
    await loader.applyBatch({ consumerGroup: GROUP, topic: TOPIC, partition: 1, messages: messages(events, 0, 100) });

    const results = await loader.applyBatches(
      [
        { consumerGroup: GROUP, topic: TOPIC, partition: 1, messages: messages(events, 50, 200) },
        { consumerGroup: GROUP, topic: TOPIC, partition: 0, messages: messages(events, 200, 300) },
        { consumerGroup: GROUP, topic: TOPIC, partition: 2, messages: messages(events, 0, 10) },
      ],
      { onGap: 'report' },
    );

    expect(results.map((r) => [r.status, r.storedOffset, r.nextOffset, r.applied])).toEqual([
      ['applied', 100, 200, 100],
      ['applied', null, 300, 100],
      ['applied', null, 10, 10],
    ]);
    // Partition 2 replays offsets 0-9, which partition 1 also applied: the same events, counted for each partition.
    expect(await readBannerCells(database.pool)).toEqual(expectedCells([...events.slice(0, 300), ...events.slice(0, 10)], 100));
    expect((await readStoredOffsets(database.db, GROUP)).map((row) => [row.partition, row.nextOffset])).toEqual([
      [0, 300],
      [1, 200],
      [2, 10],
    ]);
  });

  it('should leave a gapped partition of a multi-partition transaction unapplied while the others apply', async () => {
    const events = generateBannerEvents({ count: 60, partitions: 1, seed: 8, hiddenShare: 0, botShare: 0, invalidShare: 0 });
    await loader.applyBatch({ consumerGroup: GROUP, topic: TOPIC, partition: 0, messages: messages(events, 0, 20) });

    const [gapped, applied] = await loader.applyBatches(
      [
        { consumerGroup: GROUP, topic: TOPIC, partition: 0, messages: messages(events, 40, 60) },
        { consumerGroup: GROUP, topic: TOPIC, partition: 1, messages: messages(events, 20, 40) },
      ],
      { onGap: 'report' },
    );

    expect(gapped).toMatchObject({ status: 'gap', storedOffset: 20, applied: 0 });
    expect(applied).toMatchObject({ status: 'applied', nextOffset: 40, applied: 20 });
    expect(await readBannerCells(database.pool)).toEqual(expectedCells(events.slice(0, 40), 100));
  });

  it('should refuse two batches of one partition in one transaction', async () => {
    const events = generateBannerEvents({ count: 20, partitions: 1, seed: 9 });
    const batch = (from: number, to: number) => ({ consumerGroup: GROUP, topic: TOPIC, partition: 0, messages: messages(events, from, to) });

    await expect(loader.applyBatches([batch(0, 10), batch(10, 20)])).rejects.toThrow('distinct partitions');
    expect(await readStoredOffsets(database.db, GROUP)).toEqual([]);
  });

  it('should keep partitions and consumer groups apart', async () => {
    const events = generateBannerEvents({ count: 40, partitions: 1, seed: 5 });
    await loader.applyBatch({ consumerGroup: GROUP, topic: TOPIC, partition: 0, messages: messages(events, 0, 20) });
    await loader.applyBatch({ consumerGroup: GROUP, topic: TOPIC, partition: 1, messages: messages(events, 0, 10) });
    await loader.applyBatch({ consumerGroup: 'other-group', topic: TOPIC, partition: 0, messages: messages(events, 0, 5) });

    const stored = await readStoredOffsets(database.db, GROUP);

    expect(stored.map((row) => [row.partition, row.nextOffset])).toEqual([
      [0, 20],
      [1, 10],
    ]);
    expect((await readStoredOffsets(database.db, 'other-group')).map((row) => row.nextOffset)).toEqual([5]);
  });

  it('should create each new dimension value once when loaders meet it at the same time', async () => {
    const events = generateBannerEvents({ count: 400, partitions: 1, seed: 6 });
    const loaders = [loader, new ImpressionsLoader({ db: database.db, pool: database.pool, logger: quiet }), new ImpressionsLoader({ db: database.db, pool: database.pool, logger: quiet })];

    await Promise.all(loaders.map((l, partition) => l.applyBatch({ consumerGroup: GROUP, topic: TOPIC, partition, messages: messages(events, 0, 400) })));

    const [duplicates] = await database.pool.query<mysql.RowDataPacket[]>(
      `SELECT 'country' AS t, iso_code AS v, COUNT(*) AS n FROM country GROUP BY iso_code HAVING n > 1
       UNION ALL SELECT 'language', iso_code, COUNT(*) FROM language GROUP BY iso_code HAVING COUNT(*) > 1
       UNION ALL SELECT 'project', project, COUNT(*) FROM project GROUP BY project HAVING COUNT(*) > 1`,
    );
    expect(duplicates).toEqual([]);
    expect(await readBannerCells(database.pool)).toEqual(new Map([...expectedCells(events, 100)].map(([key, count]) => [key, count * 3])));
  });

  describe('the legacy analysts queries', () => {
    const events = generateBannerEvents({ count: 5000, partitions: 4, seed: 8, minutes: 180 });

    beforeEach(async () => {
      for (let partition = 0; partition < 4; partition++) {
        const own = events.map((event, index) => ({ event, index })).filter(({ event }) => event.partition === partition);
        for (let start = 0; start < own.length; start += 400) {
          const slice = own.slice(start, start + 400).map(({ event }, i) => ({ offset: start + i, value: JSON.stringify(event.body) }));
          await loader.applyBatch({ consumerGroup: GROUP, topic: TOPIC, partition, messages: slice });
        }
      }
    });

    /** The hourly aggregate computed from the generated events, not from the table. */
    function directHourly(keyOf: (cell: { hour: string; banner: string; campaign: string; country: string }) => string): Map<string, number> {
      const totals = new Map<string, number>();
      for (const { expected } of events) {
        if (expected.outcome !== 'counted') continue;
        const hour = expected.cell.minute.slice(0, 13).replace('T', ' ');
        const key = keyOf({ hour, banner: expected.cell.banner, campaign: expected.cell.campaign, country: expected.cell.country });
        totals.set(key, (totals.get(key) ?? 0) + 100);
      }
      return totals;
    }

    it('should give the same hourly numbers per banner and campaign as a direct aggregate', async () => {
      const [rows] = await database.pool.query<mysql.RowDataPacket[]>(
        `SELECT
         DATE_FORMAT(CAST(timestamp as datetime), '%Y-%m-%d %H') as dt,  CONCAT_WS(' ', banner, campaign) as name, SUM(count) as n
         FROM bannerimpressions
         WHERE  timestamp BETWEEN ? AND ?
         group by DATE_FORMAT(CAST(timestamp as datetime), '%Y-%m-%d %H'),  CONCAT_WS(' ', banner, campaign);`,
        ['20241127000000', '20241128000000'],
      );

      const actual = new Map(rows.map((row) => [`${row.dt}|${row.name}`, Number(row.n)]));
      expect(actual).toEqual(directHourly((c) => `${c.hour}|${c.banner} ${c.campaign}`));
    });

    it('should give the same hourly numbers per country iso_code through the country join', async () => {
      const [rows] = await database.pool.query<mysql.RowDataPacket[]>(
        `SELECT
            DATE_FORMAT(CAST(timestamp as datetime), ?) AS timestamp,
            banner,
            campaign,
            CONCAT_WS(' ', banner, campaign) AS name,
            iso_code AS country,
            SUM(count) AS n
        FROM bannerimpressions imp JOIN country c
            WHERE imp.country_id = c.id
            AND timestamp BETWEEN ? AND ?
            AND campaign RLIKE ?
            AND banner RLIKE ?
        GROUP BY
            DATE_FORMAT(CAST(timestamp as datetime), ?),
            banner,
            campaign,
            iso_code`,
        ['%Y-%m-%d %H', '2024-11-27 00:00:00', '2024-11-28 00:00:00', '.*', '.*', '%Y-%m-%d %H'],
      );

      const actual = new Map(rows.map((row) => [`${row.timestamp}|${row.banner}|${row.campaign}|${row.country}`, Number(row.n)]));
      expect(actual).toEqual(directHourly((c) => `${c.hour}|${c.banner}|${c.campaign}|${c.country}`));
    });

    it('should give the same hourly numbers through the bannerimpressions_hourly view', async () => {
      const [rows] = await database.pool.query<mysql.RowDataPacket[]>(
        `SELECT DATE_FORMAT(hour, '%Y-%m-%d %H') AS dt, banner, campaign, country, SUM(count) AS n
         FROM bannerimpressions_hourly
         WHERE hour BETWEEN ? AND ?
         GROUP BY DATE_FORMAT(hour, '%Y-%m-%d %H'), banner, campaign, country`,
        ['2024-11-27 00:00:00', '2024-11-28 00:00:00'],
      );

      const actual = new Map(rows.map((row) => [`${row.dt}|${row.banner}|${row.campaign}|${row.country}`, Number(row.n)]));
      expect(actual).toEqual(directHourly((c) => `${c.hour}|${c.banner}|${c.campaign}|${c.country}`));
    });

    it('should give per-minute rows with resolved dimensions through the bannerimpressions_named view', async () => {
      const [named] = await database.pool.query<mysql.RowDataPacket[]>('SELECT COUNT(*) AS rows_, SUM(count) AS n FROM bannerimpressions_named');
      const [direct] = await database.pool.query<mysql.RowDataPacket[]>('SELECT COUNT(*) AS rows_, SUM(count) AS n FROM bannerimpressions');

      expect(Number(named[0]!.rows_)).toBe(Number(direct[0]!.rows_));
      expect(Number(named[0]!.n)).toBe(Number(direct[0]!.n));
      expect(Number(named[0]!.n)).toBe([...directHourly((c) => c.hour).values()].reduce((a, b) => a + b, 0));
    });
  });
});
