/**
 * The importers of the legacy pending channels (issue 15), each against the real thing: a
 * private redis-server holding `*-cc-limbo` sorted sets, a private memcached (Debian's) holding
 * limbo keys, a directory of in-flight JSON files; fixtures in fixtures/cutover/. Each moves its
 * channel into the pending queue through the pending normaliser, damaged entries into `damaged`,
 * a dry run moves nothing, and a second run stores nothing twice.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import Redis from 'ioredis';
import { Client } from 'memjs';
import { createDamagedStore } from '../../../lib/consumer/damaged-store';
import { runImport, type CutoverOptions, type LegacyPendingSource } from '../../../lib/cutover/commands';
import { CutoverLedger } from '../../../lib/cutover/ledger';
import { openLegacyMemcached, type LegacyMemcached } from '../../../lib/cutover/legacy-memcached';
import type { MoverDeps } from '../../../lib/cutover/mover';
import { damaged } from '../../../lib/db/schema';
import { createLogger } from '../../../lib/log';
import { normalisePendingMessage } from '../../../lib/pending/normalise-message';
import type { QueueBackend } from '../../../lib/queue/types';
import { startMemcached, type PrivateMemcached } from '../../../scripts/stack/memcached';
import { startRedisServer, type PrivateRedisServer } from '../../../scripts/stack/redis-server';
import { createTestDatabase, type TestDatabase } from '../../support/database';
import { redisQueueAt } from '../../support/redis-queue';

const ROOT = path.resolve(__dirname, '../../..');
const FIXTURES = path.join(ROOT, 'fixtures/cutover');
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

jest.setTimeout(120_000);

/** Leases and acks everything `queue` holds; the bodies, parsed. */
async function takeAll(backend: QueueBackend, queue: string): Promise<Array<Record<string, unknown>>> {
  const bodies: Array<Record<string, unknown>> = [];
  for (;;) {
    const deliveries = await backend.lease(queue, { max: 100 });
    if (deliveries.length === 0) return bodies;
    bodies.push(...deliveries.map((d) => JSON.parse(d.body) as Record<string, unknown>));
    await backend.ackBatch(queue, deliveries.map((d) => d.receipt));
  }
}

describe('cutover importers of the legacy pending channels', () => {
  const unique = `itest-cutover-import-${randomBytes(4).toString('hex')}`;
  const pendingQueue = `${unique}-pending`;
  let database: TestDatabase;
  let redis: Redis;
  let backend: QueueBackend;
  let deps: MoverDeps;
  let options: CutoverOptions;

  beforeAll(async () => {
    database = await createTestDatabase();
    redis = new Redis(REDIS_URL);
    backend = redisQueueAt(REDIS_URL);
    deps = {
      backend,
      db: database.db,
      damagedStore: createDamagedStore(database.db),
      ledger: new CutoverLedger(redis, `${unique}:ledger`),
      logger: createLogger({ component: 'cutover-test' }, { level: 'silent' }),
    };
    options = {
      broker: { url: 'stomp://127.0.0.1:1' },
      channels: [],
      pendingQueue,
      batchSize: 2,
      idleMs: 1000,
      brokerRetryMs: 0,
      bridgeTimeLimitSeconds: 0,
      limboKeyPattern: '*-cc-limbo',
      memcachedKeyPrefix: 'limbo:',
      inflightDir: path.join(FIXTURES, 'inflight'),
    };
  });

  afterEach(async () => {
    await backend.purge(pendingQueue);
    await database.db.delete(damaged);
  });

  afterAll(async () => {
    const keys = await redis?.keys(`${unique}:*`);
    if (keys?.length) await redis.del(...keys);
    await backend?.close();
    redis?.disconnect();
    await database?.drop();
  });

  /** Dry run, run, run again: what each left in the queue and in `damaged`, and the reports. */
  async function importThreeTimes(source: LegacyPendingSource) {
    const dry = await runImport(deps, options, source, true);
    const afterDry = { queued: await takeAll(backend, pendingQueue), damaged: await database.db.select().from(damaged) };
    const first = await runImport(deps, options, source);
    const afterFirst = { queued: await takeAll(backend, pendingQueue), damaged: await database.db.select().from(damaged) };
    const second = await runImport(deps, options, source);
    const afterSecond = { queued: await takeAll(backend, pendingQueue), damaged: await database.db.select().from(damaged) };
    return { dry, afterDry, first, afterFirst, second, afterSecond };
  }

  describe('redis *-cc-limbo sorted sets', () => {
    let legacy: PrivateRedisServer;
    let legacyRedis: Redis;

    beforeAll(async () => {
      legacy = await startRedisServer();
      legacyRedis = new Redis(legacy.url);
      const { sets } = JSON.parse(readFileSync(path.join(FIXTURES, 'redis-cc-limbo.json'), 'utf8')) as { sets: Record<string, Array<{ score: number; member: string }>> };
      for (const [key, members] of Object.entries(sets)) await legacyRedis.zadd(key, ...members.flatMap((m) => [m.score, m.member]));
      await legacyRedis.set('unrelated-key', 'x');
    });

    afterAll(async () => {
      legacyRedis?.disconnect();
      await legacy?.stop();
    });

    it('should move each member into the pending queue with its date and gateway from the set, the cut-off one into damaged, once', async () => {
      const result = await importThreeTimes({ kind: 'redis-limbo', redis: legacyRedis });

      expect(result.dry.channels[0]).toMatchObject({ dryRun: true, seen: 4, moved: 3, damaged: 1, unaccounted: 0 });
      expect(result.afterDry).toEqual({ queued: [], damaged: [] });
      expect(result.first.ok).toBe(true);
      expect(result.first.channels[0]).toMatchObject({ seen: 4, moved: 3, damaged: 1, atSource: 4, left: 0, unaccounted: 0, total: { moved: 3, damaged: 1 } });
      const normalised = result.afterFirst.queued.map((body) => normalisePendingMessage(body));
      expect(normalised.map((m) => [m.gateway, m.order_id, m.date]).sort()).toEqual([
        ['adyen', '48213401.1', 1732713000],
        ['globalcollect', '48213391.1', 1732712744],
        ['globalcollect', '48213395.1', Date.UTC(2024, 10, 27, 13, 6, 41) / 1000],
      ]);
      expect(result.afterFirst.damaged.map((row) => [row.originalQueue, row.message])).toEqual([[pendingQueue, '{"gateway":"adyen","order_id":"48213']]);
      expect(result.afterFirst.damaged[0]!.trace).toContain('redis:adyen-cc-limbo');
      expect(result.second.channels[0]).toMatchObject({ seen: 4, moved: 3, damaged: 1, total: result.first.channels[0]!.total });
      expect(result.afterSecond.queued).toEqual([]);
      expect(result.afterSecond.damaged).toHaveLength(1);
      expect(await legacyRedis.zcard('globalcollect-cc-limbo')).toBe(2);
    });
  });

  describe('memcached limbo keys', () => {
    let server: PrivateMemcached;
    let memcached: LegacyMemcached;

    beforeAll(async () => {
      server = await startMemcached();
      const writer = Client.create(server.server, { logger: { log: () => undefined } });
      const { keys } = JSON.parse(readFileSync(path.join(FIXTURES, 'memcached-limbo.json'), 'utf8')) as { keys: Record<string, string> };
      for (const [key, value] of Object.entries(keys)) await writer.set(key, value, {});
      await writer.set('session:abc', '{"not":"limbo"}', {});
      writer.close();
      memcached = openLegacyMemcached(server.server);
    });

    afterAll(async () => {
      memcached?.close();
      await server?.stop();
    });

    it('should move each limbo key into the pending queue and the one without an order id into damaged, once', async () => {
      const result = await importThreeTimes({ kind: 'memcached-limbo', memcached });

      expect(result.dry.channels[0]).toMatchObject({ seen: 3, moved: 2, damaged: 1 });
      expect(result.afterDry).toEqual({ queued: [], damaged: [] });
      expect(result.first.channels[0]).toMatchObject({ seen: 3, moved: 2, damaged: 1, left: 0, unaccounted: 0 });
      expect(result.afterFirst.queued.map((body) => normalisePendingMessage(body)).map((m) => [m.gateway, m.order_id, m.gross, m.currency]).sort()).toEqual([
        ['amazon', '48213411.1', '3.00', 'USD'],
        ['paypal_ec', '48213410.1', '20.00', 'USD'],
      ]);
      expect(result.afterFirst.damaged).toHaveLength(1);
      expect(result.afterFirst.damaged[0]!.error).toContain('order_id and gateway_txn_id are both missing');
      expect(result.afterSecond).toEqual({ queued: [], damaged: result.afterFirst.damaged });
    });
  });

  describe('the in-flight directory', () => {
    it('should move each JSON file into the pending queue and the truncated one into damaged, once', async () => {
      const result = await importThreeTimes({ kind: 'inflight-dir' });

      expect(result.dry.channels[0]).toMatchObject({ seen: 3, moved: 2, damaged: 1 });
      expect(result.afterDry).toEqual({ queued: [], damaged: [] });
      expect(result.first.channels[0]).toMatchObject({ seen: 3, moved: 2, damaged: 1, left: 0, unaccounted: 0 });
      expect(result.afterFirst.queued.map((body) => normalisePendingMessage(body)).map((m) => [m.gateway, m.order_id, m.postal_code ?? null]).sort()).toEqual([
        ['astropay', '48213421.1', null],
        ['globalcollect', '48213420.1', '10115'],
      ]);
      expect(result.afterFirst.damaged.map((row) => row.trace)).toEqual([expect.stringContaining('file:astropay-48213422.1.json')]);
      expect(result.afterSecond).toEqual({ queued: [], damaged: result.afterFirst.damaged });
    });

    it('should refuse a directory it cannot read with LegacyChannelUnavailableError', async () => {
      const result = runImport(deps, options, { kind: 'inflight-dir', dir: path.join(FIXTURES, 'no-such-directory') });

      await expect(result).rejects.toMatchObject({ name: 'LegacyChannelUnavailableError' });
    });
  });
});
