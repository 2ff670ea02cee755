/**
 * The impressions tables are the legacy ones column for column and index for index (types from
 * the legacy FundraisingStatistics / FRUEC schema), the name columns are filled from the shipped
 * ISO table, `donatewiki_unique` and `donatewiki_counts` are back, and migrating the tables as
 * they were before keeps every count. Real MariaDB; the loader's own commit path.
 */
import { randomBytes } from 'node:crypto';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { migrate } from 'drizzle-orm/mysql2/migrator';
import mysql, { type RowDataPacket } from 'mysql2/promise';
import { migrateDatabase, MIGRATIONS_FOLDER, openDatabase } from '../../lib/db/client';
import { backfillFile } from '../../lib/impressions/backfill-reader';
import { ImpressionsLoader } from '../../lib/impressions/batch-commit';
import type { ImpressionTopic } from '../../lib/impressions/config';
import { createLogger } from '../../lib/log';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { readBannerCells, readLandingPageRows } from '../../scripts/traffic/impression-tables';
import { BANNER_FIXTURE, fixtureLines, LANDING_PAGE_FIXTURE } from '../support/impressions';
import { renderSeedMigration, SEED_MIGRATION } from '../../scripts/impressions-seed';

const quiet = createLogger({}, { level: 'silent' });
const BANNER: ImpressionTopic = { topic: 'centralnotice-impressions', kind: 'banner', factor: 1 };
const LANDING: ImpressionTopic = { topic: 'landingpage-impressions', kind: 'landingpage', factor: 1 };
const SERVER_URL = process.env.TEST_DATABASE_SERVER_URL ?? 'mysql://root@127.0.0.1:3306/';
const BEFORE_LEGACY_TYPES = path.join(__dirname, '../../fixtures/impressions-before-legacy-types.sql');
/** The first migration of this change: the fixture is written against the ones before it. */
const FIRST_LEGACY_MIGRATION = '0006_impressions_estimated_count';

/** Legacy column types (DATA_TYPE, unsigned) per table, from the legacy CREATE TABLE statements. */
const LEGACY_COLUMNS: Record<string, Record<string, string>> = {
  bannerimpressions: {
    id: 'int unsigned',
    timestamp: 'timestamp',
    banner: 'varchar(255)',
    campaign: 'varchar(255)',
    project_id: 'smallint unsigned',
    language_id: 'smallint unsigned',
    country_id: 'smallint unsigned',
    count: 'mediumint',
  },
  landingpageimpression_raw: {
    id: 'int unsigned',
    timestamp: 'timestamp',
    utm_source: 'varchar(255)',
    utm_campaign: 'varchar(255)',
    utm_medium: 'varchar(255)',
    utm_key: 'varchar(128)',
    landingpage: 'varchar(255)',
    project_id: 'smallint unsigned',
    language_id: 'smallint unsigned',
    country_id: 'smallint unsigned',
  },
  country: { id: 'smallint unsigned', country: 'varchar(128)', iso_code: 'varchar(8)' },
  language: { id: 'smallint unsigned', language: 'varchar(128)', iso_code: 'varchar(24)' },
  project: { id: 'smallint unsigned', project: 'varchar(128)' },
  donatewiki_unique: {
    id: 'int unsigned',
    timestamp: 'timestamp',
    utm_source: 'varchar(255)',
    utm_campaign: 'varchar(255)',
    contact_id: 'varbinary(255)',
    link_id: 'varchar(128)',
  },
};

/** Legacy keys per table: name → columns (`!` marks a unique key). */
const LEGACY_KEYS: Record<string, Record<string, string>> = {
  bannerimpressions: {
    PRIMARY: '!id',
    timestamp: '!timestamp,banner,campaign,project_id,language_id,country_id',
    timestamp_2: 'timestamp',
    banner: 'banner',
    campaign: 'campaign',
    project_id: 'project_id',
    language_id: 'language_id',
    country_id: 'country_id',
  },
  landingpageimpression_raw: {
    PRIMARY: '!id',
    timestamp: 'timestamp',
    utm_source: 'utm_source',
    utm_campaign: 'utm_campaign',
    utm_medium: 'utm_medium',
    utm_key: 'utm_key',
    landingpage: 'landingpage',
    project_id: 'project_id',
    language_id: 'language_id',
    country_id: 'country_id',
  },
  country: { PRIMARY: '!id', iso_code: '!iso_code' },
  language: { PRIMARY: '!id', iso_code: '!iso_code' },
  project: { PRIMARY: '!id', project: '!project' },
  donatewiki_unique: { PRIMARY: '!id', utm_source: '!utm_source,contact_id' },
};

async function columnTypes(pool: mysql.Pool, table: string): Promise<Record<string, string>> {
  const [rows] = await pool.query<RowDataPacket[]>(
    `SELECT COLUMN_NAME AS name, DATA_TYPE AS type, CHARACTER_MAXIMUM_LENGTH AS length, COLUMN_TYPE LIKE '%unsigned%' AS isUnsigned
       FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ? ORDER BY ORDINAL_POSITION`,
    [table],
  );
  return Object.fromEntries(rows.map((r) => [r.name, `${r.type}${r.length !== null && /char|binary/.test(r.type) ? `(${r.length})` : ''}${Number(r.isUnsigned) ? ' unsigned' : ''}`]));
}

async function keys(pool: mysql.Pool, table: string): Promise<Record<string, string>> {
  const [rows] = await pool.query<RowDataPacket[]>(
    `SELECT INDEX_NAME AS name, NON_UNIQUE AS nonUnique, GROUP_CONCAT(COLUMN_NAME ORDER BY SEQ_IN_INDEX) AS columns
       FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ? GROUP BY INDEX_NAME, NON_UNIQUE`,
    [table],
  );
  return Object.fromEntries(rows.map((r) => [r.name, `${Number(r.nonUnique) ? '' : '!'}${r.columns}`]));
}

async function loadFixtures(database: TestDatabase, group?: string): Promise<void> {
  const directory = await mkdtemp(path.join(tmpdir(), 'impressions-legacy-'));
  try {
    const bannerFile = path.join(directory, `centralnotice-impressions-${randomBytes(3).toString('hex')}.log`);
    const landingFile = path.join(directory, `landingpage-impressions-${randomBytes(3).toString('hex')}.log`);
    await writeFile(bannerFile, fixtureLines(BANNER_FIXTURE).join('\n') + '\n');
    await writeFile(landingFile, fixtureLines(LANDING_PAGE_FIXTURE).join('\n') + '\n');
    const loader = new ImpressionsLoader({ db: database.db, pool: database.pool, logger: quiet });
    await backfillFile(loader, bannerFile, { topic: BANNER, consumerGroup: group });
    await backfillFile(loader, landingFile, { topic: LANDING, consumerGroup: group });
  } finally {
    await rm(directory, { recursive: true, force: true });
  }
}

describe('legacy impressions schema', () => {
  let database: TestDatabase;

  beforeEach(async () => {
    database = await createTestDatabase();
  });

  afterEach(async () => {
    await database.drop();
  });

  it('should have the legacy column types of every impressions table', async () => {
    for (const [table, expected] of Object.entries(LEGACY_COLUMNS)) {
      const actual = await columnTypes(database.pool, table);

      // Legacy columns in legacy order first; the only extra column is the estimate.
      expect(Object.entries(actual).slice(0, Object.keys(expected).length)).toEqual(Object.entries(expected));
      expect(Object.keys(actual).slice(Object.keys(expected).length)).toEqual(table === 'bannerimpressions' ? ['estimated_count'] : []);
    }
  });

  it('should have the legacy keys of every impressions table, the single-column ones included', async () => {
    for (const [table, expected] of Object.entries(LEGACY_KEYS)) {
      expect(await keys(database.pool, table)).toEqual(expected);
    }
  });

  it('should keep the minute of a cell when later events increment its count', async () => {
    await loadFixtures(database);
    const before = await readBannerCells(database.pool);

    await loadFixtures(database, 'second-load');

    expect(await readBannerCells(database.pool)).toEqual(new Map([...before].map(([key, count]) => [key, count * 2])));
  });

  it('should name the countries and languages from the shipped ISO table', async () => {
    await loadFixtures(database);

    const [rows] = await database.pool.query<RowDataPacket[]>(
      `SELECT c.country, l.language, SUM(b.count) AS count FROM bannerimpressions b
         JOIN country c ON c.id = b.country_id JOIN language l ON l.id = b.language_id
        GROUP BY c.country, l.language ORDER BY c.country`,
    );
    expect(rows.map((r) => [r.country, r.language, Number(r.count)])).toEqual([
      ['Brazil', 'Other', 1],
      ['United States', 'English', 1],
    ]);
  });

  it('should ship the seed migration that the ISO table generates', async () => {
    expect(await readFile(SEED_MIGRATION, 'utf8')).toBe(renderSeedMigration());
  });

  it('should fill donatewiki_unique once per utm_source and contact from landing page views that carry one, and count them in donatewiki_counts', async () => {
    await loadFixtures(database);
    await loadFixtures(database, 'second-load');

    const [unique] = await database.pool.query<RowDataPacket[]>(
      "SELECT DATE_FORMAT(timestamp, '%Y-%m-%d %H:%i:%s') AS timestamp, utm_source, utm_campaign, CAST(contact_id AS CHAR) AS contact_id, link_id FROM donatewiki_unique",
    );
    const [counts] = await database.pool.query<RowDataPacket[]>('SELECT utm_source, utm_campaign, link_id, count FROM donatewiki_counts');
    expect(unique.map((r) => ({ ...r }))).toEqual([{ timestamp: '2024-11-27 13:02:44', utm_source: 'fr-redir', utm_campaign: '', contact_id: '4412', link_id: 'sidebar' }]);
    expect(counts.map((r) => ({ ...r, count: Number(r.count) }))).toEqual([{ utm_source: 'fr-redir', utm_campaign: '', link_id: 'sidebar', count: 1 }]);
  });
});

describe('migrating the impressions tables to the legacy schema', () => {
  let url: string;
  let name: string;
  let folder: string;

  beforeEach(async () => {
    name = `itest_${Date.now()}_${randomBytes(3).toString('hex')}`;
    const target = new URL(SERVER_URL);
    target.pathname = `/${name}`;
    url = target.toString();
    // The project's migrations up to the one before this change, as a deployment has them today.
    folder = await mkdtemp(path.join(tmpdir(), 'migrations-before-'));
    await cp(MIGRATIONS_FOLDER, folder, { recursive: true });
    const journalFile = path.join(folder, 'meta', '_journal.json');
    const journal = JSON.parse(await readFile(journalFile, 'utf8')) as { entries: Array<{ tag: string }> };
    const cut = journal.entries.findIndex((entry) => entry.tag === FIRST_LEGACY_MIGRATION);
    expect(cut).toBeGreaterThan(0);
    await writeFile(journalFile, JSON.stringify({ ...journal, entries: journal.entries.slice(0, cut) }));
  });

  afterEach(async () => {
    await rm(folder, { recursive: true, force: true });
    const admin = await mysql.createConnection({ uri: SERVER_URL });
    await admin.query(`DROP DATABASE IF EXISTS \`${name}\``).finally(() => admin.end());
  });

  it('should keep every count, row and stored offset of the tables as they were', async () => {
    const admin = await mysql.createConnection({ uri: SERVER_URL });
    await admin.query(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`).finally(() => admin.end());
    const before = openDatabase(url, { connectionLimit: 1 });
    await migrate(before.db, { migrationsFolder: folder });
    const fixture = await readFile(BEFORE_LEGACY_TYPES, 'utf8');
    for (const statement of fixture.split(';').map((s) => s.replace(/^\s*--.*$/gm, '').trim()).filter(Boolean)) await before.pool.query(statement);
    const cellsBefore = await readBannerCells(before.pool);
    const rowsBefore = await readLandingPageRows(before.pool);
    const [offsetsBefore] = await before.pool.query<RowDataPacket[]>('SELECT * FROM impressions_kafka_offsets');
    await before.close();

    await migrateDatabase(url);

    const after = openDatabase(url, { connectionLimit: 1 });
    try {
      expect(cellsBefore.size).toBe(6);
      expect(await readBannerCells(after.pool)).toEqual(cellsBefore);
      expect(await readLandingPageRows(after.pool)).toEqual(rowsBefore);
      const [offsetsAfter] = await after.pool.query<RowDataPacket[]>('SELECT * FROM impressions_kafka_offsets');
      expect(offsetsAfter).toEqual(offsetsBefore);
      const [named] = await after.pool.query<RowDataPacket[]>("SELECT iso_code, country FROM country WHERE id IN (1, 2, 3, 7) ORDER BY id");
      expect(named.map((r) => [r.iso_code, r.country])).toEqual([['US', 'United States'], ['DE', 'Germany'], ['XX', 'Unknown'], ['BR', 'Brazil']]);
      const [estimated] = await after.pool.query<RowDataPacket[]>('SELECT SUM(estimated_count) AS total FROM bannerimpressions');
      expect(Number(estimated[0]!.total)).toBe(0);
    } finally {
      await after.close();
    }
  });
});
