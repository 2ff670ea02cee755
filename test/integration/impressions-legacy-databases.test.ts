/**
 * The analysts' legacy queries name their databases (`pgehres.bannerimpressions`,
 * `pgehres.country`): with the impressions tables in a database of their own
 * (IMPRESSIONS_DATABASE_URL) or in the one database (DATABASE_URL), they give the numbers of an
 * independent aggregate of the same events. The events go through the real command
 * (`npm run backfill:impressions`, configuration from the environment) into real MariaDB.
 *
 * The legacy database names are configurable (TEST_LEGACY_IMPRESSIONS_DATABASE, default the
 * legacy `pgehres`); each run creates uniquely named databases and maps the legacy name in the
 * query text onto them, because others run tests against the same server.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import mysql, { type RowDataPacket } from 'mysql2/promise';
import { databaseUrls } from '../../lib/config';
import { migrateDatabase, openDatabase, type Database } from '../../lib/db/client';
import { expectedCells, generateBannerEvents } from '../../scripts/traffic/impression-events';

const SERVER_URL = process.env.TEST_DATABASE_SERVER_URL ?? 'mysql://root@127.0.0.1:3306/';
const LEGACY_IMPRESSIONS = process.env.TEST_LEGACY_IMPRESSIONS_DATABASE ?? 'pgehres';

// Written as the analysts wrote them: database-qualified names, the hour by DATE_FORMAT.
const HOURLY = `SELECT DATE_FORMAT(CAST(timestamp AS datetime), '%Y-%m-%d %H') AS dt, CONCAT_WS(' ', banner, campaign) AS name, SUM(count) AS n
  FROM ${LEGACY_IMPRESSIONS}.bannerimpressions
  WHERE timestamp BETWEEN '2024-11-27 00:00:00' AND '2024-11-28 00:00:00'
  GROUP BY DATE_FORMAT(CAST(timestamp AS datetime), '%Y-%m-%d %H'), CONCAT_WS(' ', banner, campaign)`;
const PER_CAMPAIGN = `SELECT campaign, SUM(count) AS n FROM ${LEGACY_IMPRESSIONS}.bannerimpressions WHERE campaign RLIKE '^C' GROUP BY campaign`;
const PER_COUNTRY = `SELECT UCASE(${LEGACY_IMPRESSIONS}.country.iso_code) AS country, SUM(${LEGACY_IMPRESSIONS}.bannerimpressions.count) AS n
  FROM ${LEGACY_IMPRESSIONS}.bannerimpressions, ${LEGACY_IMPRESSIONS}.country
  WHERE ${LEGACY_IMPRESSIONS}.country.id = ${LEGACY_IMPRESSIONS}.bannerimpressions.country_id
  GROUP BY UCASE(${LEGACY_IMPRESSIONS}.country.iso_code)`;
const HOURLY_VIEW = `SELECT LEFT(hour, 13) AS dt, CONCAT_WS(' ', banner, campaign) AS name, SUM(count) AS n FROM ${LEGACY_IMPRESSIONS}.bannerimpressions_hourly GROUP BY LEFT(hour, 13), CONCAT_WS(' ', banner, campaign)`;

/** The query with the legacy database name replaced by the database this run created for it. */
function inDatabase(query: string, database: string): string {
  return query.replace(new RegExp(`\\b${LEGACY_IMPRESSIONS}\\.`, 'g'), `\`${database}\`.`);
}

function sums(rows: RowDataPacket[], key: (row: RowDataPacket) => string): Map<string, number> {
  return new Map(rows.map((row) => [key(row), Number(row.n)]));
}

/** The independent aggregate: the generator's expected cells, summed the way each query groups. */
function expectedBy(cells: Map<string, number>, key: (parts: string[]) => string): Map<string, number> {
  const result = new Map<string, number>();
  for (const [cell, count] of cells) {
    const k = key(cell.split('|'));
    result.set(k, (result.get(k) ?? 0) + count);
  }
  return result;
}

function urlOf(name: string): string {
  const url = new URL(SERVER_URL);
  url.pathname = `/${name}`;
  return url.toString();
}

async function runBackfill(file: string, env: Record<string, string>): Promise<number | null> {
  return new Promise((resolve) => {
    const child = spawn('npm', ['run', '--silent', 'backfill:impressions', '--', file], {
      cwd: path.join(__dirname, '../..'),
      env: { ...process.env, LOG_LEVEL: 'error', IMPRESSIONS_BANNER_TOPICS: '', IMPRESSIONS_DATABASE_URL: '', ...env },
      stdio: 'ignore',
    });
    child.once('exit', resolve);
  });
}

describe.each([
  ['in a database of their own', true],
  ['in the one database', false],
])('legacy analysts queries with the impressions tables %s', (_label, separate) => {
  const stamp = `itest_${Date.now()}_${randomBytes(3).toString('hex')}`;
  const main = `${stamp}_main`;
  const impressions = separate ? `${stamp}_${LEGACY_IMPRESSIONS}` : main;
  const events = generateBannerEvents({ count: 3000, partitions: 1, seed: separate ? 7 : 8, minutes: 180 });
  // Unsampled stream: the default topic factor counts each event once.
  const cells = expectedCells(events, 1);
  let directory: string;
  let analyst: Database;

  beforeAll(async () => {
    const env = { DATABASE_URL: urlOf(main), ...(separate ? { IMPRESSIONS_DATABASE_URL: urlOf(impressions) } : {}) };
    for (const url of databaseUrls(env as never)) await migrateDatabase(url);
    directory = await mkdtemp(path.join(tmpdir(), 'impressions-dbs-'));
    const file = path.join(directory, `centralnotice-impressions-${randomBytes(3).toString('hex')}.log`);
    await writeFile(file, events.map((event) => JSON.stringify(event.body)).join('\n') + '\n');
    expect(await runBackfill(file, env)).toBe(0);
    // The analysts' session: connected to the server, no database selected.
    analyst = openDatabase(SERVER_URL, { connectionLimit: 1 });
  }, 120_000);

  afterAll(async () => {
    await analyst?.close();
    await rm(directory, { recursive: true, force: true });
    const admin = await mysql.createConnection({ uri: SERVER_URL });
    try {
      for (const name of new Set([main, impressions])) await admin.query(`DROP DATABASE IF EXISTS \`${name}\``);
    } finally {
      await admin.end();
    }
  });

  it('should give the hourly numbers per banner and campaign of an independent aggregate', async () => {
    const [rows] = await analyst.pool.query<RowDataPacket[]>(inDatabase(HOURLY, impressions));

    expect(sums(rows, (r) => `${r.dt} ${r.name}`)).toEqual(expectedBy(cells, ([minute, banner, campaign]) => `${minute!.slice(0, 13).replace('T', ' ')} ${banner} ${campaign}`));
  });

  it('should give the per-campaign numbers of an independent aggregate', async () => {
    const [rows] = await analyst.pool.query<RowDataPacket[]>(inDatabase(PER_CAMPAIGN, impressions));

    expect(sums(rows, (r) => r.campaign)).toEqual(expectedBy(cells, ([, , campaign]) => campaign!));
  });

  it('should give the per-country numbers of an independent aggregate', async () => {
    const [rows] = await analyst.pool.query<RowDataPacket[]>(inDatabase(PER_COUNTRY, impressions));

    expect(sums(rows, (r) => r.country)).toEqual(expectedBy(cells, (parts) => parts[5]!));
  });

  it('should give the same hourly numbers through the hourly view', async () => {
    const [rows] = await analyst.pool.query<RowDataPacket[]>(inDatabase(HOURLY_VIEW, impressions));

    expect(sums(rows, (r) => `${r.dt} ${r.name}`)).toEqual(expectedBy(cells, ([minute, banner, campaign]) => `${minute!.slice(0, 13).replace('T', ' ')} ${banner} ${campaign}`));
  });

  it('should leave the impressions tables of DATABASE_URL empty when the impressions have a database of their own', async () => {
    const [rows] = await analyst.pool.query<RowDataPacket[]>(`SELECT COUNT(*) AS n FROM \`${main}\`.bannerimpressions`);

    expect(Number(rows[0]!.n)).toBe(separate ? 0 : cells.size);
  });
});
