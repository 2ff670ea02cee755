/**
 * `npm run ops`: the CLI as an operator runs it (a child process through tsx), on a test
 * database and its own Redis queues, over the same library calls as the web console.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { eq } from 'drizzle-orm';
import Redis from 'ioredis';
import { createDamagedStore } from '../../../lib/consumer/damaged-store';
import { consoleAudit, damaged } from '../../../lib/db/schema';
import { RedisQueueBackend } from '../../../lib/queue';
import { recordGatewayRun } from '../../../lib/rectifier/run-history';
import { createTestDatabase, type TestDatabase } from '../../support/database';
import { donorMessage, REDIS_URL } from '../../support/console';

jest.setTimeout(60_000);

const ROOT = path.resolve(__dirname, '../../..');
const TSX = path.join(ROOT, 'node_modules/tsx/dist/cli.mjs');
const run = promisify(execFile);

describe('the ops CLI (scripts/ops.ts)', () => {
  let database: TestDatabase;
  let backend: RedisQueueBackend;
  const tag = randomBytes(3).toString('hex');
  const queues = { pending: `itest-cli-pending-${tag}`, init: `itest-cli-init-${tag}`, tracking: `itest-cli-tracking-${tag}`, donations: `itest-cli-donations-${tag}` };
  const rectifyQueue = `itest-cli-rectify-${tag}`;

  /** Runs one command; resolves with its exit code and output. */
  const ops = async (...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> => {
    const env = {
      ...process.env,
      DATABASE_URL: database.url,
      REDIS_URL,
      QUEUE_BACKEND: 'redis',
      LOG_LEVEL: 'silent',
      PENDING_QUEUE: queues.pending,
      PAYMENTS_INIT_QUEUE: queues.init,
      TRACKING_QUEUE: queues.tracking,
      DONATIONS_QUEUE: queues.donations,
      DEAD_LETTER_QUEUES: Object.values(queues).join(','),
      RECTIFY_QUEUE: rectifyQueue,
      RECTIFY_ADAPTERS: 'ingenico=hosted-payment',
      KAFKA_BROKERS: '127.0.0.1:1',
      CONSOLE_ACTOR: 'cli:test-operator',
    };
    try {
      const { stdout, stderr } = await run(process.execPath, [TSX, path.join(ROOT, 'scripts/ops.ts'), ...args], { env, cwd: ROOT });
      return { code: 0, stdout, stderr };
    } catch (error) {
      const failed = error as { code: number; stdout: string; stderr: string };
      return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
    }
  };

  beforeAll(async () => {
    database = await createTestDatabase();
    backend = new RedisQueueBackend({ url: REDIS_URL, defaults: { maxReceiveCount: 1 } });
  });

  afterAll(async () => {
    for (const queue of [...Object.values(queues), rectifyQueue]) await backend.purge(queue);
    await backend.close();
    const redis = new Redis(REDIS_URL);
    for (const queue of Object.values(queues)) {
      const counts = await redis.keys(`{${queue}}:rate:*`);
      if (counts.length > 0) await redis.del(...counts);
    }
    redis.disconnect();
    await database.drop();
  });

  it('should list its commands with --help', async () => {
    const { code, stdout } = await ops('--help');

    expect(code).toBe(0);
    for (const command of ['queues', 'redrive', 'purge', 'damaged', 'pending', 'tracking', 'impressions', 'metrics', 'audit']) expect(stdout).toContain(command);
  });

  it('should list the pending subcommands, the rectifier\'s runs and trigger among them, with pending --help', async () => {
    const { code, stdout } = await ops('pending', '--help');

    expect(code).toBe(0);
    for (const command of ['ages', 'order', 'runs', 'rectify']) expect(stdout).toMatch(new RegExp(`^\\s+${command}\\b`, 'm'));
  });

  it('should print the rectifier\'s last runs with their processor statuses', async () => {
    const run = { attempted: 2, rowsResolved: 2, outcomes: { completed: 2 }, processorStatuses: { complete: 2 }, stoppedBecause: 'younger-row' as const };
    await recordGatewayRun(database.db, { gateway: 'ingenico', source: 'scheduled', startedAt: new Date(), finishedAt: new Date(), run }, 5);

    const json = await ops('--json', 'pending', 'runs');
    const text = await ops('pending', 'runs');

    expect(JSON.parse(json.stdout)).toEqual([expect.objectContaining({ gateway: 'ingenico', source: 'scheduled', processorStatuses: { complete: 2 }, stoppedBecause: 'younger-row' })]);
    expect(text.stdout).toMatch(/ingenico\s+scheduled\s+2\s+2\s+completed=2\s+complete=2\s+younger-row/);
  });

  it('should queue a rectifier run for a gateway the rectifier settles, audited, and refuse another with exit code 2', async () => {
    const queued = await ops('--json', 'pending', 'rectify', 'ingenico');
    const refused = await ops('pending', 'rectify', 'nobody-settles-this');

    expect(queued.code).toBe(0);
    expect(JSON.parse(queued.stdout)).toMatchObject({ gateway: 'ingenico', queue: rectifyQueue });
    expect(JSON.parse((await backend.peek(rectifyQueue, 5))[0]!)).toMatchObject({ gateway: 'ingenico' });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('settles no gateway');
    const audit = await database.db.select().from(consoleAudit).where(eq(consoleAudit.action, 'pending.trigger-rectify'));
    expect(audit).toEqual([expect.objectContaining({ actor: 'cli:test-operator', via: 'cli', target: 'gateway:ingenico' })]);
  });

  it('should print a queue\'s pushed and consumed messages per minute', async () => {
    await backend.pushBatch(queues.tracking, [{ id: '1', ts: '20240101120000' }, { id: '2', ts: '20240101120000' }]);
    await new Promise((resolve) => setTimeout(resolve, 1200)); // the backend writes its counts within a second

    const { code, stdout } = await ops('--json', 'rates', queues.tracking);

    expect(code).toBe(0);
    const rates = JSON.parse(stdout) as { pushed: number[]; acked: number[] };
    expect(rates.pushed).toHaveLength(60);
    expect(rates.pushed.reduce((a, b) => a + b, 0)).toBe(2);
    await backend.purge(queues.tracking);
  });

  it('should print the impressions lag, saying when Kafka cannot be asked', async () => {
    const { code, stdout } = await ops('--json', 'impressions', 'lag');

    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toMatchObject({ partitions: [], kafkaError: expect.stringContaining('Kafka did not report end offsets') });
  });

  it('should print every managed queue\'s figures as JSON', async () => {
    await backend.push(queues.pending, donorMessage('cli.queued'));

    const { code, stdout } = await ops('--json', 'queues');

    expect(code).toBe(0);
    const rows = JSON.parse(stdout) as Array<{ queue: string; stats: { ready: number } }>;
    expect(rows.map((r) => r.queue).sort()).toEqual(Object.values(queues).sort());
    expect(rows.find((r) => r.queue === queues.pending)!.stats.ready).toBe(1);
    await backend.purge(queues.pending);
  });

  it('should search masked, resend an edited message to its queue and audit it as the CLI actor', async () => {
    const store = createDamagedStore(database.db);
    await store.insert({ queue: queues.pending, body: JSON.stringify(donorMessage('cli.1', { gross: 'ten' })), error: 'PermanentError: bad gross' });
    const [row] = await database.db.select().from(damaged).where(eq(damaged.orderId, 'cli.1'));

    const search = await ops('--json', 'damaged', 'search', '--order-id', 'cli.1');
    const shown = await ops('--json', 'damaged', 'show', String(row!.id));
    const masked = JSON.parse((JSON.parse(shown.stdout) as { message: string }).message) as Record<string, unknown>;
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'ops-')), 'edited.json');
    writeFileSync(file, JSON.stringify({ ...masked, gross: '10.00' }));
    const resent = await ops('damaged', 'resend', String(row!.id), '--message-file', file);

    expect(JSON.parse(search.stdout)).toMatchObject({ total: 1, rows: [{ id: row!.id, orderId: 'cli.1' }] });
    expect(shown.stdout).not.toContain('donor@example.org');
    expect(resent).toMatchObject({ code: 0, stdout: expect.stringContaining(`queued on ${queues.pending}`) });
    expect(JSON.parse((await backend.peek(queues.pending, 1))[0]!)).toMatchObject({ order_id: 'cli.1', gross: '10.00', email: 'donor@example.org' });
    const audit = await database.db.select().from(consoleAudit).where(eq(consoleAudit.target, `damaged:${row!.id}`));
    expect(audit).toEqual([expect.objectContaining({ actor: 'cli:test-operator', via: 'cli', action: 'damaged.edit-resend' })]);
    await backend.purge(queues.pending);
  });

  it('should dry-run a bulk resend, send nothing, and send exactly it with --execute', async () => {
    const store = createDamagedStore(database.db);
    for (const n of [1, 2]) await store.insert({ queue: queues.init, body: JSON.stringify({ gateway: 'g', order_id: `cli-bulk.${n}`, date: 1764300000 }), error: 'InfrastructureError: cli bulk' });

    const plan = await ops('--json', 'damaged', 'bulk-resend', '--error', 'cli bulk');
    const { fingerprint, byQueue } = JSON.parse(plan.stdout) as { fingerprint: string; byQueue: Record<string, number> };
    const readyAfterPlan = (await backend.stats(queues.init)).ready;
    const executed = await ops('--json', 'damaged', 'bulk-resend', '--error', 'cli bulk', '--execute', fingerprint);

    expect(byQueue).toEqual({ [queues.init]: 2 });
    expect(readyAfterPlan).toBe(0);
    expect(JSON.parse(executed.stdout)).toMatchObject({ sent: 2, skipped: 0 });
    expect((await backend.stats(queues.init)).ready).toBe(2);
  });

  it('should refuse a purge whose confirmation is not the queue name with exit code 2', async () => {
    await backend.push(queues.tracking, { id: '1', ts: '20240101120000' });

    const refused = await ops('purge', queues.tracking, '--confirm', 'yes');
    const purged = await ops('purge', queues.tracking, '--confirm', queues.tracking);

    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('type the queue name');
    expect(purged.code).toBe(0);
    expect((await backend.stats(queues.tracking)).ready).toBe(0);
  });

  it('should redrive a queue\'s dead letters', async () => {
    await backend.push(queues.donations, { gateway: 'g', order_id: 'dead.1', date: 1764300000 });
    const [delivery] = await backend.lease(queues.donations);
    await backend.release(queues.donations, delivery!.receipt);
    await backend.lease(queues.donations); // past maxReceiveCount: dead-lettered

    const { code, stdout } = await ops('--json', 'redrive', queues.donations);

    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toEqual({ moved: 1 });
    expect(await backend.stats(queues.donations)).toMatchObject({ dead: 0, ready: 1 });
  });
});
