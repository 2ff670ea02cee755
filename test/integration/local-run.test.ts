import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import path from 'node:path';
import Redis from 'ioredis';
import mysql from 'mysql2/promise';

const ROOT = path.resolve(__dirname, '../..');
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const DATABASE_URL = process.env.DATABASE_URL ?? 'mysql://root@127.0.0.1:3306/test';
// Its own Redis logical database and MariaDB database, so that `npm start` may run beside it.
const REDIS_DB = 12;
const QUEUES = ['pending', 'payments-init', 'contribution-tracking', 'donations'];

// The whole local run (stack, serverless-offline, traffic, drain, summary), short: about 40-70 s.
describe('npm start (scripts/local-run.ts)', () => {
  const database = `localrun_itest_${randomBytes(4).toString('hex')}`;
  const offlineLog = `.local-stack/itest-${database}.log`;

  afterAll(async () => {
    const server = new URL(DATABASE_URL);
    server.pathname = '/';
    const admin = await mysql.createConnection({ uri: server.toString() });
    await admin.query(`DROP DATABASE IF EXISTS \`${database}\``);
    await admin.end();
    const redis = new Redis(REDIS_URL, { db: REDIS_DB });
    await redis.del(...[...QUEUES, 'rectify'].flatMap((q) => [q, `{${q}}:ready`, `{${q}}:inflight`, `{${q}}:leases`, `{${q}}:delayed`, `{${q}}:dead`, `{${q}}:staging`, `{${q}}:seq`]), 'contribution-tracking:id-sequence');
    // The partitioned tracking queue's partition queues, leases and membership.
    const partitionKeys = await redis.keys('{contribution-tracking*');
    if (partitionKeys.length > 0) await redis.del(...partitionKeys);
    redis.disconnect();
    rmSync(path.join(ROOT, offlineLog), { force: true });
  });

  function startRun(seconds: number) {
    const run = spawn(process.execPath, [path.join(ROOT, 'node_modules/tsx/dist/cli.mjs'), 'scripts/local-run.ts'], {
      cwd: ROOT,
      env: {
        ...process.env,
        REDIS_URL,
        DATABASE_URL,
        LOCAL_RUN_SECONDS: String(seconds),
        LOCAL_RUN_RATE: '10',
        LOCAL_RUN_DRAIN_SECONDS: '45',
        LOCAL_RUN_DATABASE: database,
        LOCAL_RUN_REDIS_DB: String(REDIS_DB),
        LOCAL_RUN_OFFLINE_LOG: offlineLog,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const output = { stdout: '', stderr: '' };
    run.stdout.on('data', (chunk: Buffer) => (output.stdout += chunk.toString()));
    run.stderr.on('data', (chunk: Buffer) => (output.stderr += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => run.once('exit', resolve));
    return { run, output, exited };
  }

  it('should run the whole pipeline, settle orphans at the Worldline, Adyen and PayPal simulators, absorb completions and duplicates, drain everything and exit 0', async () => {
    const { output, exited } = startRun(5);

    const code = await exited;
    const { stdout, stderr } = output;
    const server = new URL(DATABASE_URL);
    server.pathname = `/${database}`;
    const db = await mysql.createConnection({ uri: server.toString() });
    const [damaged] = await db.query<mysql.RowDataPacket[]>("SELECT SUBSTRING_INDEX(error, ':', 1) AS error, COUNT(*) AS n FROM damaged WHERE original_queue = 'pending' GROUP BY 1 ORDER BY 1");
    const [runs] = await db.query<mysql.RowDataPacket[]>('SELECT DISTINCT gateway FROM rectifier_runs ORDER BY gateway');
    await db.end();

    if (code !== 0) process.stderr.write(`local run output:\n${stdout}\n${stderr.slice(-4000)}\n`);
    expect(code).toBe(0);
    expect(stdout).toContain('Result: every queue drained to zero, every topic loaded, every table filled, every order of the pending lifecycle ended as it must.');
    for (const queue of QUEUES) expect(stdout).toMatch(new RegExp(`^  ${queue}[ *]+ \\d+ +\\d+ +\\d+ +\\d+ +\\d+ +\\d+ +\\d+ +0 +0 +0 +0$`, 'm'));
    expect(stdout).toMatch(/^ {2}centralnotice-impressions +\d+ +\d+ +0$/m);
    expect(stdout).toMatch(/^ {2}contribution_tracking +[1-9]\d*$/m);
    // Per processor: orphans, settled, cancelled, for people, retried (each at least one), other.
    expect(stdout).toMatch(/^ {2}ingenico +worldline +\d+ +[1-9]\d* +[1-9]\d* +[1-9]\d* +[1-9]\d* +\d+$/m);
    expect(stdout).toMatch(/^ {2}adyen +adyen +\d+ +[1-9]\d* +[1-9]\d* +[1-9]\d* +[1-9]\d* +\d+$/m);
    expect(stdout).toMatch(/^ {2}paypal +paypal-orders +\d+ +[1-9]\d* +[1-9]\d* +\d+ +[1-9]\d* +[1-9]\d*$/m);
    expect(stdout).toMatch(/^ {2}paypal_ec +paypal-nvp +\d+ +[1-9]\d* +[1-9]\d* +[1-9]\d* +[1-9]\d* +\d+$/m);
    const completions = /^Completions: (\d+) through the signed endpoint, (\d+) as queue messages; (\d+) of (\d+) orders settled with no pending row left and no donation$/m.exec(stdout);
    expect(completions).not.toBeNull();
    const [endpoint, queue, absorbed, all] = completions!.slice(1).map(Number) as [number, number, number, number];
    expect(endpoint).toBeGreaterThan(0);
    expect(queue).toBeGreaterThan(0);
    expect([absorbed, all]).toEqual([endpoint + queue, endpoint + queue]);
    expect(stdout).toMatch(/^Duplicates: [1-9]\d* duplicated or redelivered pending messages of [1-9]\d* orders absorbed; 0 second rows, 0 second donations$/m);
    expect(stdout).toMatch(/^Pending endpoint answers: [1-9]\d* x 200(, \d+ x 404)?$/m);
    // What people must decide is in damaged, each saying why: two antifraud reviews, one recurring PayPal checkout.
    expect(damaged.map((row) => [row.error, Number(row.n)])).toEqual(
      expect.arrayContaining([
        ['HeldForReviewError', 2],
        ['PayPalNeedsPersonError', 1],
      ]),
    );
    expect(runs.map((row) => row.gateway)).toEqual(['adyen', 'ingenico', 'paypal', 'paypal_ec']);
  }, 150_000);

  it('should print the summary and stop everything when interrupted', async () => {
    const { run, output, exited } = startRun(120);
    // Interrupt once traffic flows: the first progress line says something was pushed.
    while (!/pushed: pending [1-9]/.test(output.stderr) && run.exitCode === null) await new Promise((resolve) => setTimeout(resolve, 250));

    run.kill('SIGINT');
    const code = await exited;

    expect(code).toBe(130);
    expect(output.stderr).toContain('local run: interrupted; summarising and stopping');
    expect(output.stdout).toMatch(/^Queues$/m);
    expect(output.stdout).toMatch(/^Result: (FAILED|every queue drained)/m);
  }, 150_000);
});
