/**
 * The cutover's acceptance (issue 15): legacy ActiveMQ queues (Debian's activemq, a private
 * broker) with producers still writing; a drain (a child process, SIGKILLed midway and run again)
 * and a bridge move everything while the broker is SIGKILLed and restarted; afterwards every
 * message is in its target exactly once by content, every malformed one in `damaged` once, the
 * source is empty and the report accounts for all. TEST_CUTOVER_MESSAGES sets the count (5,000
 * in the suite; the 50,000 is a manual run, docs/cutover.md).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { eq } from 'drizzle-orm';
import Redis from 'ioredis';
import { createDamagedStore } from '../../../lib/consumer/damaged-store';
import { runBrokerChannels, type CutoverOptions } from '../../../lib/cutover/commands';
import { CutoverLedger, xorChecksum } from '../../../lib/cutover/ledger';
import { readLegacyMessage } from '../../../lib/cutover/legacy-message';
import type { MoverDeps } from '../../../lib/cutover/mover';
import type { CutoverReport } from '../../../lib/cutover/report';
import { damaged } from '../../../lib/db/schema';
import { createLogger } from '../../../lib/log';
import type { QueueBackend } from '../../../lib/queue/types';
import { startActiveMq, type PrivateActiveMq } from '../../../scripts/stack/activemq';
import { createTestDatabase, type TestDatabase } from '../../support/database';
import { produceLegacy } from '../../support/legacy-producer';
import { redisQueueAt } from '../../support/redis-queue';

const ROOT = path.resolve(__dirname, '../../..');
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const TOTAL = Number(process.env.TEST_CUTOVER_MESSAGES ?? 5000);
/** One message in this many is malformed: it must end in `damaged`, once. */
const DAMAGED_EVERY = 500;

jest.setTimeout(Math.max(300_000, TOTAL * 40));

const fixture = (name: string) => JSON.parse(readFileSync(path.join(ROOT, 'fixtures/cutover', name), 'utf8')) as { body: Record<string, unknown> };
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** The legacy bodies of one channel: the fixture with a distinct order id each, every DAMAGED_EVERY-th cut short by one byte. */
function legacyBodies(template: Record<string, unknown>, firstId: number, count: number): string[] {
  return Array.from({ length: count }, (_, i) => {
    const text = JSON.stringify({ ...template, order_id: `${firstId + i}.1`, contribution_tracking_id: String(firstId + i) });
    return i % DAMAGED_EVERY === DAMAGED_EVERY - 1 ? text.slice(0, -1) : text;
  });
}

/** Leases and acks everything `queue` holds; the bodies. */
async function takeAll(backend: QueueBackend, queue: string): Promise<string[]> {
  const bodies: string[] = [];
  for (;;) {
    const deliveries = await backend.lease(queue, { max: 1000 });
    if (deliveries.length === 0) return bodies;
    bodies.push(...deliveries.map((d) => d.body));
    await backend.ackBatch(queue, deliveries.map((d) => d.receipt));
  }
}

describe('cutover drain and bridge against a real ActiveMQ', () => {
  const unique = `itest-cutover-${randomBytes(4).toString('hex')}`;
  const targets = { pending: `${unique}-pending`, paymentsInit: `${unique}-payments-init` };
  const legacy = { pending: `${unique}.pending`, paymentsInit: `${unique}.payments-init` };
  const ledgerPrefix = `${unique}:ledger`;
  let broker: PrivateActiveMq;
  let database: TestDatabase;
  let redis: Redis;
  let backend: QueueBackend;
  let deps: MoverDeps;
  let options: CutoverOptions;
  const children = new Set<ChildProcess>();

  beforeAll(async () => {
    [broker, database] = await Promise.all([startActiveMq(), createTestDatabase()]);
    redis = new Redis(REDIS_URL);
    backend = redisQueueAt(REDIS_URL);
    const ledger = new CutoverLedger(redis, ledgerPrefix);
    deps = { backend, db: database.db, damagedStore: createDamagedStore(database.db), ledger, logger: createLogger({ component: 'cutover-test' }, { level: 'silent' }) };
    options = {
      broker: { url: broker.url },
      channels: [
        { name: `activemq:${legacy.pending}`, legacy: legacy.pending, target: targets.pending, format: 'pending' },
        { name: `activemq:${legacy.paymentsInit}`, legacy: legacy.paymentsInit, target: targets.paymentsInit, format: 'payments-init' },
      ],
      pendingQueue: targets.pending,
      batchSize: 500,
      idleMs: 3000,
      brokerRetryMs: 180_000,
      bridgeTimeLimitSeconds: 0,
      limboKeyPattern: '',
      memcachedKeyPrefix: '',
      inflightDir: '',
    };
  });

  afterAll(async () => {
    for (const child of children) child.kill('SIGKILL');
    for (const queue of Object.values(targets)) await backend?.purge(queue);
    const keys = await redis?.keys(`${ledgerPrefix}:*`);
    if (keys?.length) await redis.del(...keys);
    await backend?.close();
    redis?.disconnect();
    await database?.drop();
    await broker?.stop();
  });

  /** `npm run cutover -- drain --json` as its own process, on this test's broker, queues, database and ledger. */
  function startDrain(): { child: ChildProcess; done: Promise<{ code: number | null; report?: CutoverReport; stderr: string }> } {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'scripts/cutover.ts'), '--json', 'drain'], {
      cwd: ROOT,
      env: {
        ...process.env,
        REDIS_URL,
        DATABASE_URL: database.url,
        PENDING_DATABASE_URL: database.url,
        QUEUE_BACKEND: 'redis',
        PENDING_QUEUE: targets.pending,
        PAYMENTS_INIT_QUEUE: targets.paymentsInit,
        CUTOVER_STOMP_URL: broker.url,
        CUTOVER_CHANNELS: `${legacy.pending}:${targets.pending},${legacy.paymentsInit}:${targets.paymentsInit}`,
        CUTOVER_LEDGER_PREFIX: ledgerPrefix,
        CUTOVER_DRAIN_IDLE_MS: '3000',
        LOG_LEVEL: 'error',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.add(child);
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr!.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4000)));
    const done = new Promise<{ code: number | null; report?: CutoverReport; stderr: string }>((resolve) => {
      child.once('exit', (code) => {
        children.delete(child);
        const start = stdout.indexOf('{');
        resolve({ code, stderr, ...(start >= 0 ? { report: JSON.parse(stdout.slice(start)) as CutoverReport } : {}) });
      });
    });
    return { child, done };
  }

  async function movedSoFar(): Promise<number> {
    const counts = await Promise.all(options.channels.map((c) => redis.scard(`${ledgerPrefix}:{${c.name}}:moved`)));
    return counts.reduce((a, b) => a + b, 0);
  }

  it('should only read and classify on a dry run, leaving every message at the broker and nothing in the target or damaged', async () => {
    const queue = `${unique}.dry-run`;
    const channel = { name: `activemq:${queue}`, legacy: queue, target: `${unique}-dry-run`, format: 'pending' as const };
    const bodies = legacyBodies(fixture('activemq-pending.json').body, 30_000_000, 20);
    await produceLegacy(broker.url, queue, [...bodies, 'not json at all']);

    const dry = await runBrokerChannels(deps, { ...options, channels: [channel] }, { mode: 'drain', dryRun: true });
    const again = await runBrokerChannels(deps, { ...options, channels: [channel] }, { mode: 'drain', dryRun: true });
    const queued = await takeAll(backend, channel.target);
    const damagedRows = await database.db.select({ queue: damaged.originalQueue }).from(damaged);

    expect(dry.channels).toEqual([expect.objectContaining({ dryRun: true, seen: 21, moved: 20, damaged: 1, acked: 0, atSource: 21, left: 21, unaccounted: 0 })]);
    expect(again.channels[0]).toMatchObject({ seen: 21, atSource: 21 });
    expect(queued).toEqual([]);
    expect(damagedRows.filter((row) => row.queue === channel.target)).toEqual([]);

    const moved = await runBrokerChannels(deps, { ...options, channels: [channel] }, { mode: 'drain' });
    const trace = await database.db.select({ trace: damaged.trace }).from(damaged).where(eq(damaged.originalQueue, channel.target));

    expect(moved.channels[0]).toMatchObject({ seen: 21, moved: 20, damaged: 1, acked: 21, atSource: 0, left: 0, unaccounted: 0 });
    expect(trace).toHaveLength(1);
    expect(JSON.parse(trace[0]!.trace!.slice(trace[0]!.trace!.indexOf('{')))).toMatchObject({ destination: `/queue/${queue}`, persistent: 'true', 'message-id': expect.stringMatching(/^ID:/) });
    await backend.purge(channel.target);
  });

  it('should move every message into its target exactly once by content, through a killed drain and a killed broker, and account for all', async () => {
    const perQueue = Math.floor(TOTAL / 2);
    const bodies = {
      pending: legacyBodies(fixture('activemq-pending.json').body, 10_000_000, perQueue),
      paymentsInit: legacyBodies(fixture('activemq-payments-init.json').body, 20_000_000, TOTAL - perQueue),
    };
    const before = (list: string[]) => list.slice(0, Math.floor(list.length * 0.6));
    const during = (list: string[]) => list.slice(Math.floor(list.length * 0.6));
    await Promise.all([produceLegacy(broker.url, legacy.pending, before(bodies.pending)), produceLegacy(broker.url, legacy.paymentsInit, before(bodies.paymentsInit))]);

    // Producers keep writing while the drain and the bridge run.
    const producing = Promise.all([
      produceLegacy(broker.url, legacy.pending, during(bodies.pending), { chunk: 100, pauseMs: 50 }),
      produceLegacy(broker.url, legacy.paymentsInit, during(bodies.paymentsInit), { chunk: 100, pauseMs: 50 }),
    ]);
    const firstDrain = startDrain();
    const stopBridge = new AbortController();
    const bridging = runBrokerChannels({ ...deps, logger: deps.logger }, options, { mode: 'bridge', signal: stopBridge.signal, timeLimitSeconds: 0 });

    // Kill the drain once it is well under way, then crash the broker under the bridge and the producers.
    while ((await movedSoFar()) < TOTAL * 0.25) await sleep(100);
    firstDrain.child.kill('SIGKILL');
    const killedAt = await movedSoFar();
    const killed = await firstDrain.done;
    await broker.restart({ kill: true });
    // The bridge stops while the producers still write; the re-run drain takes over from it.
    while ((await movedSoFar()) < TOTAL * 0.6) await sleep(100);
    stopBridge.abort();
    const bridgeReport = await bridging;
    const rerunning = startDrain().done;
    await producing;
    const rerun = await rerunning;

    const expected = (list: string[], format: 'pending' | 'payments-init') => {
      const good = list.map((raw) => readLegacyMessage(raw, format)).filter((r) => r.ok).map((r) => r.hash);
      return { good, bad: list.filter((raw) => !readLegacyMessage(raw, format).ok) };
    };
    const want = { pending: expected(bodies.pending, 'pending'), paymentsInit: expected(bodies.paymentsInit, 'payments-init') };
    const held = {
      pending: (await takeAll(backend, targets.pending)).map((raw) => readLegacyMessage(raw, 'pending')),
      paymentsInit: (await takeAll(backend, targets.paymentsInit)).map((raw) => readLegacyMessage(raw, 'payments-init')),
    };
    const damagedRows = await database.db.select({ queue: damaged.originalQueue, message: damaged.message }).from(damaged);

    expect(killed.code).toBeNull();
    expect(rerun.stderr).toBe('');
    expect(rerun.code).toBe(0);
    expect(bridgeReport.ok).toBe(true);
    expect(bridgeReport.channels.reduce((sum, c) => sum + c.moved, 0)).toBeGreaterThan(0);
    for (const key of ['pending', 'paymentsInit'] as const) {
      const produced = key === 'pending' ? perQueue : TOTAL - perQueue;
      expect(want[key].bad).toHaveLength(Math.floor(produced / DAMAGED_EVERY));
      expect(want[key].good).toHaveLength(produced - want[key].bad.length);
      const hashes = held[key].map((r) => (r.ok ? r.hash : 'unreadable'));
      expect(hashes.length).toBe(want[key].good.length);
      expect(new Set(hashes).size).toBe(hashes.length);
      expect([...hashes].sort()).toEqual([...want[key].good].sort());
      expect(damagedRows.filter((row) => row.queue === targets[key]).map((row) => row.message).sort()).toEqual([...want[key].bad].sort());
      const line = rerun.report!.channels.find((c) => c.target === targets[key])!;
      expect(line).toMatchObject({ unaccounted: 0, atSource: 0, left: 0 });
      expect(line.total).toEqual({ moved: want[key].good.length, damaged: want[key].bad.length, checksum: xorChecksum(want[key].good) });
    }
    process.stdout.write(`cutover acceptance: ${TOTAL} legacy messages, ${killedAt} moved when the drain was killed; bridge moved ${bridgeReport.channels.map((c) => c.moved).join('+')}, re-run moved ${rerun.report!.channels.map((c) => c.moved).join('+')}\n`);
  });
});
