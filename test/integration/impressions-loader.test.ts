/**
 * The impressions loader against real MariaDB (and the Kafka mock cluster for the consumer
 * group trigger): the fixture events give exactly the legacy rows, whichever trigger
 * delivers them, and delivering them again changes nothing.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { backfillFile } from '../../lib/impressions/backfill-reader';
import { ImpressionsLoader } from '../../lib/impressions/batch-commit';
import type { RowDataPacket } from 'mysql2/promise';
import { configuredTopics, impressionsConfig, type ImpressionTopic } from '../../lib/impressions/config';
import { createKafkaClient } from '../../lib/impressions/kafka-client';
import { consumeImpressions } from '../../lib/impressions/kafka-consumer-loop';
import { loadKafkaEvent, type KafkaEventRecord, type SelfManagedKafkaEvent } from '../../lib/impressions/lambda-event';
import { readStoredOffsets } from '../../lib/impressions/offset-store';
import { createLogger } from '../../lib/log';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { readBannerCells, readLandingPageRows } from '../../scripts/traffic/impression-tables';
import { expectedCells, generateBannerEvents } from '../../scripts/traffic/impression-events';
import { BANNER_FIXTURE, fixtureLines, LANDING_PAGE_FIXTURE, waitFor } from '../support/impressions';
import { produce, startKafkaMock, quietKafkaClient, type KafkaMock } from '../../scripts/stack/kafka';

const quiet = createLogger({}, { level: 'silent' });
const BANNER: ImpressionTopic = { topic: 'centralnotice-impressions', kind: 'banner', factor: 100 };
const LANDING: ImpressionTopic = { topic: 'landingpage-impressions', kind: 'landingpage', factor: 1 };

/** What the two fixture files must give, written out as the legacy loader stored it. */
const EXPECTED_CELLS = new Map([
  ['2024-11-27T13:00|B2425_1127_en6C_dsk_p1_lg_txt_cnt|C2425_en6C_dsk_FR|enwiki|en|US', 100],
  ['2024-11-27T13:01|B2425_1127_ptBR_mob_p1_lg_txt|C2425_ptBR_mob_FR|commonswiki|other|BR', 100],
]);
const EXPECTED_LANDING_PAGES = [
  {
    timestamp: '2024-11-27 13:02:10',
    utm_source: 'B2425_1127_en6C_dsk_p1_lg_txt_cnt.no-LP.cc',
    utm_campaign: 'C2425_en6C_dsk_FR',
    utm_medium: 'sitenotice',
    utm_key: 'vw_1920.vh_969',
    landingpage: 'default~default~JimmyQuote~ENFR~control',
    project: 'donatewiki',
    language: 'en',
    country: 'US',
  },
  {
    timestamp: '2024-11-27 13:02:44',
    utm_source: 'fr-redir',
    utm_campaign: '',
    utm_medium: '',
    utm_key: '',
    landingpage: 'Ways_to_Give',
    project: 'donatewiki',
    language: 'en',
    country: 'XX',
  },
];
/** Offsets tallies per topic: hidden and bot events ignored, the bad line invalid, enwiki landing page ignored. */
const EXPECTED_TALLIES = {
  banner: { countedEvents: 2, ignoredEvents: 2, invalidEvents: 1, nextOffset: 5 },
  landingpage: { countedEvents: 2, ignoredEvents: 1, invalidEvents: 0, nextOffset: 3 },
};

describe('impressions loader', () => {
  let database: TestDatabase;

  beforeEach(async () => {
    database = await createTestDatabase();
  });

  afterEach(async () => {
    await database.drop();
  });

  async function expectFixtureRows(group: string, topics: { banner: string; landingpage: string }) {
    expect(await readBannerCells(database.pool)).toEqual(EXPECTED_CELLS);
    expect(await readLandingPageRows(database.pool)).toEqual(EXPECTED_LANDING_PAGES);
    const stored = await readStoredOffsets(database.db, group);
    const tallies = (topic: string) => {
      const row = stored.find((r) => r.topic === topic)!;
      return { countedEvents: row.countedEvents, ignoredEvents: row.ignoredEvents, invalidEvents: row.invalidEvents, nextOffset: row.nextOffset };
    };
    expect({ banner: tallies(topics.banner), landingpage: tallies(topics.landingpage) }).toEqual(EXPECTED_TALLIES);
  }

  describe('consuming the topics with a Kafka consumer group', () => {
    let mock: KafkaMock;

    beforeAll(async () => {
      mock = await startKafkaMock();
    });

    afterAll(async () => {
      await mock.stop();
    });

    /** A consumer group run over `topics` until `signal` aborts (or 30 s). */
    function consume(loader: ImpressionsLoader, group: string, topics: ImpressionTopic[], signal: AbortSignal) {
      return consumeImpressions({
        kafka: createKafkaClient({ brokers: mock.brokers, clientId: 'test', logger: quiet }),
        loader,
        consumerGroup: group,
        topics,
        timeLimitMs: 30_000,
        startFrom: 'earliest',
        sessionTimeoutMs: 6000,
        kafkaCommitIntervalMs: 0,
        signal,
        logger: quiet,
      });
    }

    it('should turn the fixture events into exactly the legacy rows', async () => {
      // Arrange
      const suffix = randomBytes(4).toString('hex');
      const banner = { ...BANNER, topic: `cn-${suffix}` };
      const landing = { ...LANDING, topic: `lp-${suffix}` };
      const group = `group-${suffix}`;
      const kafka = quietKafkaClient(mock.brokers);
      await produce(kafka, banner.topic, fixtureLines(BANNER_FIXTURE).map((value) => ({ partition: 0, value })));
      await produce(kafka, landing.topic, fixtureLines(LANDING_PAGE_FIXTURE).map((value) => ({ partition: 1, value })));
      const loader = new ImpressionsLoader({ db: database.db, pool: database.pool, logger: quiet });
      const stop = new AbortController();

      // Act
      const run = consume(loader, group, [banner, landing], stop.signal);
      await waitFor(async () => (await readStoredOffsets(database.db, group)).reduce((n, r) => n + (r.nextOffset ?? 0), 0) === 8, 25_000, 'the fixtures to be applied');
      stop.abort();
      const summary = await run;

      // Assert
      expect(summary).toMatchObject({ received: 8, applied: 8, counted: 4, ignored: 3, invalid: 1 });
      await expectFixtureRows(group, { banner: banner.topic, landingpage: landing.topic });
    }, 40_000);

    it('should read a partition again from the stored offset when its first run began before it, and count every event once', async () => {
      // Arrange
      const suffix = randomBytes(4).toString('hex');
      const banner = { ...BANNER, topic: `cn-${suffix}` };
      const group = `group-${suffix}`;
      const events = generateBannerEvents({ count: 300, partitions: 1, seed: 12, minutes: 3 });
      await produce(quietKafkaClient(mock.brokers), banner.topic, events.map((event) => ({ partition: 0, value: JSON.stringify(event.body) })));
      const loader = new ImpressionsLoader({ db: database.db, pool: database.pool, logger: quiet });
      // An earlier run stored offsets 0-119 without telling Kafka (it died before its commit).
      await loader.applyBatch({ consumerGroup: group, topic: banner, partition: 0, messages: events.slice(0, 120).map((event, offset) => ({ offset, value: JSON.stringify(event.body) })) });
      const stop = new AbortController();

      // Act
      const run = consume(loader, group, [banner], stop.signal);
      await waitFor(async () => (await readStoredOffsets(database.db, group))[0]?.nextOffset === 300, 25_000, 'the topic to be applied');
      stop.abort();
      const summary = await run;

      // Assert
      expect(summary.seeks).toBeGreaterThanOrEqual(1);
      expect(summary.applied).toBe(180);
      expect(await readBannerCells(database.pool)).toEqual(expectedCells(events, 100));
    }, 40_000);
  });

  describe('handling a Lambda self-managed Kafka event', () => {
    function kafkaEvent(): SelfManagedKafkaEvent {
      const records = (topic: string, partition: number, lines: string[]) =>
        lines.map((line, offset) => ({ topic, partition, offset, timestamp: 0, timestampType: 'CREATE_TIME', value: Buffer.from(line).toString('base64'), headers: [] }));
      return {
        eventSource: 'SelfManagedKafka',
        bootstrapServers: '127.0.0.1:9092',
        records: {
          'centralnotice-impressions-0': records(BANNER.topic, 0, fixtureLines(BANNER_FIXTURE)),
          'landingpage-impressions-3': records(LANDING.topic, 3, fixtureLines(LANDING_PAGE_FIXTURE)),
        },
      };
    }

    it('should turn the fixture events into exactly the legacy rows', async () => {
      const loader = new ImpressionsLoader({ db: database.db, pool: database.pool, logger: quiet });

      const summary = await loadKafkaEvent(loader, kafkaEvent(), { consumerGroup: 'lambda', topics: [BANNER, LANDING] });

      expect(summary).toMatchObject({ batches: 2, received: 8, applied: 8, counted: 4, ignored: 3, invalid: 1, unknownTopics: [] });
      await expectFixtureRows('lambda', { banner: BANNER.topic, landingpage: LANDING.topic });
    });

    it('should count an event dated beyond what a TIMESTAMP holds as invalid and load the others of its batch', async () => {
      // arrange: each topic's records with events of 2040 and 1969 among them
      const loader = new ImpressionsLoader({ db: database.db, pool: database.pool, logger: quiet });
      const event = kafkaEvent();
      const redated = (record: KafkaEventRecord, dt: string): KafkaEventRecord => {
        const line = JSON.parse(Buffer.from(record.value!, 'base64').toString('utf8')) as Record<string, unknown>;
        return { ...record, value: Buffer.from(JSON.stringify({ ...line, dt })).toString('base64') };
      };
      for (const records of Object.values(event.records)) {
        const [first] = records;
        records.splice(1, 0, redated(first!, '2040-06-01T12:00:00Z'), redated(first!, '1969-06-01T12:00:00Z'));
        records.forEach((record, offset) => (record.offset = offset));
      }

      // act
      const summary = await loadKafkaEvent(loader, event, { consumerGroup: 'lambda', topics: [BANNER, LANDING] });

      // assert
      expect(summary).toMatchObject({ received: 12, applied: 12, counted: 4, ignored: 3, invalid: 5 });
      expect(await readBannerCells(database.pool)).toEqual(EXPECTED_CELLS);
      expect(await readLandingPageRows(database.pool)).toEqual(EXPECTED_LANDING_PAGES);
    });

    it('should change nothing when Lambda delivers the same records again', async () => {
      const loader = new ImpressionsLoader({ db: database.db, pool: database.pool, logger: quiet });
      await loadKafkaEvent(loader, kafkaEvent(), { consumerGroup: 'lambda', topics: [BANNER, LANDING] });

      const again = await loadKafkaEvent(new ImpressionsLoader({ db: database.db, pool: database.pool, logger: quiet }), kafkaEvent(), { consumerGroup: 'lambda', topics: [BANNER, LANDING] });

      expect(again).toMatchObject({ received: 8, applied: 0 });
      await expectFixtureRows('lambda', { banner: BANNER.topic, landingpage: LANDING.topic });
    });
  });

  describe('backfilling legacy log files', () => {
    let directory: string;

    beforeAll(async () => {
      directory = await mkdtemp(path.join(tmpdir(), 'impressions-backfill-'));
    });

    afterAll(async () => {
      await rm(directory, { recursive: true, force: true });
    });

    it('should load a gzip and a plain file into exactly the legacy rows, and skip them when replayed', async () => {
      const bannerFile = path.join(directory, `centralnotice-impressions-${randomBytes(3).toString('hex')}.log.gz`);
      const landingFile = path.join(directory, `landingpage-impressions-${randomBytes(3).toString('hex')}.json.log`);
      await writeFile(bannerFile, gzipSync(fixtureLines(BANNER_FIXTURE).join('\n') + '\n'));
      await writeFile(landingFile, fixtureLines(LANDING_PAGE_FIXTURE).join('\n') + '\n');
      const loader = new ImpressionsLoader({ db: database.db, pool: database.pool, logger: quiet });

      const first = [await backfillFile(loader, bannerFile, { topic: BANNER, batchSize: 2 }), await backfillFile(loader, landingFile, { topic: LANDING })];
      const replay = [await backfillFile(loader, bannerFile, { topic: BANNER, batchSize: 2 }), await backfillFile(loader, landingFile, { topic: LANDING })];

      expect(first.map((s) => [s.lines, s.applied])).toEqual([[5, 5], [3, 3]]);
      expect(replay.map((s) => s.applied)).toEqual([0, 0]);
      await expectFixtureRows('backfill', { banner: `file:${path.basename(bannerFile)}`, landingpage: `file:${path.basename(landingFile)}` });
    });

    it('should count each event of a sampledN file 100 / N, as the legacy loader did, whatever factor the topic has', async () => {
      const bannerFile = path.join(directory, `centralnotice-impressions-sampled10-${randomBytes(3).toString('hex')}.log`);
      await writeFile(bannerFile, fixtureLines(BANNER_FIXTURE).join('\n') + '\n');
      const loader = new ImpressionsLoader({ db: database.db, pool: database.pool, logger: quiet });

      await backfillFile(loader, bannerFile, { topic: BANNER });

      expect(await readBannerCells(database.pool)).toEqual(new Map([...EXPECTED_CELLS].map(([key]) => [key, 10])));
    });

    it('should count one per event of an unsampled stream and keep beside it the estimate from the sample rate of the events', async () => {
      const bannerFile = path.join(directory, `centralnotice-impressions-${randomBytes(3).toString('hex')}.log`);
      await writeFile(bannerFile, fixtureLines(BANNER_FIXTURE).join('\n') + '\n');
      const loader = new ImpressionsLoader({ db: database.db, pool: database.pool, logger: quiet });
      const unsampled = configuredTopics(impressionsConfig({})).find((topic) => topic.kind === 'banner')!;

      await backfillFile(loader, bannerFile, { topic: unsampled });

      expect(await readBannerCells(database.pool)).toEqual(new Map([...EXPECTED_CELLS].map(([key]) => [key, 1])));
      // The fixture's counted events were sent at impressionEventSampleRate 0.01: 100 impressions each.
      const [rows] = await database.pool.query<RowDataPacket[]>('SELECT SUM(`count`) AS legacy, SUM(estimated_count) AS estimated FROM bannerimpressions');
      expect([Number(rows[0]!.legacy), Number(rows[0]!.estimated)]).toEqual([2, 200]);
    });

    it('should load files given to the npm script, telling their kind from their names', async () => {
      const bannerFile = path.join(directory, `centralnotice-impressions-sampled1-${randomBytes(3).toString('hex')}.log.gz`);
      const landingFile = path.join(directory, `landingpage-impressions-${randomBytes(3).toString('hex')}.json.log`);
      await writeFile(bannerFile, gzipSync(fixtureLines(BANNER_FIXTURE).join('\n')));
      await writeFile(landingFile, fixtureLines(LANDING_PAGE_FIXTURE).join('\n'));

      const code = await new Promise<number | null>((resolve) => {
        const child = spawn('npm', ['run', '--silent', 'backfill:impressions', '--', bannerFile, landingFile], {
          cwd: path.join(__dirname, '../..'),
          env: { ...process.env, DATABASE_URL: database.url, LOG_LEVEL: 'error', IMPRESSIONS_BANNER_TOPICS: 'centralnotice-impressions:100' },
          stdio: 'ignore',
        });
        child.once('exit', resolve);
      });

      expect(code).toBe(0);
      await expectFixtureRows('backfill', { banner: `file:${path.basename(bannerFile)}`, landingpage: `file:${path.basename(landingFile)}` });
    }, 30_000);
  });
});
