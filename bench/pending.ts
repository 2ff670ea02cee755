/**
 * `npm run bench pending`. consume-pending: how fast the consumer moves messages from a Redis queue into MariaDB, beside
 * MariaDB's own multi-row INSERT of the same rows (idempotency key and its ON DUPLICATE KEY
 * clause included, BENCH_PENDING_CHUNK rows per statement, as many as the consumer's batch, no
 * queue). Target: at least 0.8 of it, and 3,000 messages/s.
 *
 * rectify-orphans: orphans settled per second by the rectifier through the Worldline Connect
 * adapter (official SDK) against the Worldline simulator answering every request after
 * BENCH_RECTIFY_LATENCY_MS (50), each orphan awaiting approval (a status read and an approve), at
 * BENCH_RECTIFY_CONCURRENCY (8; RECTIFY_ORPHANS_CONCURRENCY) orders at once beside one at a time.
 * BENCH_RECTIFY_ORDERS (200) per round.
 *
 * BENCH_PENDING_MESSAGES (per round, default 10000), BENCH_PENDING_ROUNDS (default 3; medians are
 * printed), BENCH_PENDING_BATCH (consumer batch, default 500), BENCH_PENDING_CHUNK (baseline rows
 * per INSERT, default the batch). Uses its own database and queue, dropped afterwards.
 */
import { randomBytes } from 'node:crypto';
import mysql from 'mysql2/promise';
import { createDamagedStore } from '../lib/consumer/damaged-store';
import { DEFAULT_RETRY_POLICY } from '../lib/consumer/retry-policy';
import { migrateDatabase, openDatabase, type Database } from '../lib/db/client';
import { createLogger, type Logger } from '../lib/log';
import { consumePending } from '../lib/pending/consume-pending';
import { normalisePendingMessage } from '../lib/pending/normalise-message';
import { PendingStore, pendingMessageKey } from '../lib/pending/pending-store';
import { adaptersFromConfig } from '../lib/rectifier/adapters';
import { rectifierConfig } from '../lib/rectifier/config';
import { rectifyOrphans } from '../lib/rectifier/orphan-rectifier';
import Redis from 'ioredis';
import { RedisQueueBackend } from '../lib/queue';
import { queueKeys } from '../lib/queue/redis/keys';
import fixture from '../fixtures/pending-message.json';
import { startWorldlineSimulator } from '../scripts/simulators/worldline';
import { median, writePipelineResult } from './results';

const MESSAGES = Number(process.env.BENCH_PENDING_MESSAGES ?? 10000);
const BATCH = Number(process.env.BENCH_PENDING_BATCH ?? 500);
const CHUNK = Number(process.env.BENCH_PENDING_CHUNK ?? BATCH);
const ROUNDS = Number(process.env.BENCH_PENDING_ROUNDS ?? 3);
const SERVER = process.env.BENCH_DATABASE_SERVER_URL ?? 'mysql://root@127.0.0.1:3306/';
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const RECTIFY_ORDERS = Number(process.env.BENCH_RECTIFY_ORDERS ?? 200);
const RECTIFY_LATENCY_MS = Number(process.env.BENCH_RECTIFY_LATENCY_MS ?? 50);
const RECTIFY_CONCURRENCY = Number(process.env.BENCH_RECTIFY_CONCURRENCY ?? 8);
const WORLDLINE = { merchantId: '1234', apiKeyId: 'bench-key', secretApiKey: 'bench-secret' };

function messages(): Array<Record<string, unknown>> {
  const base = Math.floor(Date.now() / 1000) - 3600;
  return Array.from({ length: MESSAGES }, (_, i) => ({
    ...fixture,
    contribution_tracking_id: String(60_000_000 + i),
    order_id: `${60_000_000 + i}.1`,
    date: base + (i % 3600),
  }));
}

async function main(): Promise<void> {
  const name = `bench_pending_${Date.now()}_${randomBytes(2).toString('hex')}`;
  const url = new URL(SERVER);
  url.pathname = `/${name}`;
  await migrateDatabase(url.toString());
  const database = openDatabase(url.toString(), { connectionLimit: 4 });
  const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
  const backend = new RedisQueueBackend({ redis });
  const queue = `bench-pending-${name}`;
  const logger = createLogger({ component: 'bench' }, { level: 'silent' });
  const bodies = messages();
  try {
    const rows = bodies.map((body) => {
      const m = normalisePendingMessage(body);
      return [new Date(m.date * 1000), m.gateway, m.gateway_account ?? null, m.order_id ?? null, m.gateway_txn_id ?? null, m.payment_method ?? null, 0, JSON.stringify(m), pendingMessageKey(m)];
    });
    const deps = { backend, db: database.db, damagedStore: createDamagedStore(database.db), retryPolicy: DEFAULT_RETRY_POLICY, logger };
    const baselineRates: number[] = [];
    const consumerRates: number[] = [];
    // Rounds alternate the two measurements, so that a busy neighbour slows both alike.
    for (let round = 0; round < ROUNDS; round++) {
      await database.pool.query('TRUNCATE TABLE pending');
      let started = performance.now();
      for (let i = 0; i < rows.length; i += CHUNK) {
        await database.pool.query(
          'INSERT INTO pending (date, gateway, gateway_account, order_id, gateway_txn_id, payment_method, is_resolved, message, message_key) VALUES ? ON DUPLICATE KEY UPDATE id = id',
          [rows.slice(i, i + CHUNK)],
        );
      }
      baselineRates.push(MESSAGES / ((performance.now() - started) / 1000));
      await database.pool.query('TRUNCATE TABLE pending');

      // Not timed: fill the queue.
      for (let i = 0; i < bodies.length; i += 5000) await backend.pushBatch(queue, bodies.slice(i, i + 5000), { sourceType: 'payments' });
      started = performance.now();
      const counts = await consumePending(deps, { queue, timeLimitSeconds: 0, messageLimit: 0, batchSize: BATCH, resolveMode: 'delete' });
      consumerRates.push(MESSAGES / ((performance.now() - started) / 1000));
      const [[{ n }]] = (await database.pool.query('SELECT COUNT(*) AS n FROM pending')) as unknown as [[{ n: number }]];
      if (counts.succeeded !== MESSAGES || Number(n) !== MESSAGES) {
        throw new Error(`consumer stored ${n} rows of ${MESSAGES} (counts ${JSON.stringify(counts)})`);
      }
    }

    const rectify = await rectifyRates(database, backend, `bench-donations-${name}`, logger);

    const consumerRate = median(consumerRates);
    const baselineRate = median(baselineRates);
    const line = (label: string, rate: number, all: number[]) =>
      `${label.padEnd(44)} ${rate.toFixed(0).padStart(8)} msg/s  (rounds: ${all.map((r) => r.toFixed(0)).join(', ')})`;
    console.log(`pending benchmark: ${MESSAGES} messages x ${ROUNDS} rounds (medians), consumer batch ${BATCH}, baseline INSERT chunk ${CHUNK}`);
    console.log(line('consume-pending (Redis queue → MariaDB)', consumerRate, consumerRates));
    console.log(line('baseline: MariaDB multi-row INSERT (with key)', baselineRate, baselineRates));
    console.log(`ratio consumer / baseline: ${(consumerRate / baselineRate).toFixed(2)} (target ≥ ${RATIO_GOAL})   target ≥ 3000 msg/s: ${consumerRate >= 3000 ? 'met' : 'NOT met'}`);
    const sequentialRate = median(rectify.sequential);
    const concurrentRate = median(rectify.concurrent);
    const orders = (label: string, rate: number, all: number[]) =>
      `${label.padEnd(44)} ${rate.toFixed(1).padStart(8)} orders/s  (rounds: ${all.map((r) => r.toFixed(1)).join(', ')})`;
    console.log(`rectify-orphans: ${RECTIFY_ORDERS} orphans awaiting approval x ${ROUNDS} rounds, Worldline simulator answering after ${RECTIFY_LATENCY_MS} ms`);
    console.log(orders(`rectify-orphans, ${RECTIFY_CONCURRENCY} orders at once per gateway`, concurrentRate, rectify.concurrent));
    console.log(orders('baseline: rectify-orphans, one order at a time', sequentialRate, rectify.sequential));
    console.log(`ratio concurrent / sequential: ${(concurrentRate / sequentialRate).toFixed(2)} (target ≥ ${RECTIFY_RATIO_GOAL})`);
    // A run with its size overridden is a quick look, not a figure for the README.
    const full = ['BENCH_PENDING_MESSAGES', 'BENCH_RECTIFY_ORDERS', 'BENCH_RECTIFY_LATENCY_MS', 'BENCH_RECTIFY_CONCURRENCY'].every((variable) => process.env[variable] === undefined);
    if (full) writePipelineResult('pending', {
      benchmark: 'pending: consume-pending, queue → MariaDB',
      size: `${MESSAGES.toLocaleString('en-US')} messages, batch ${BATCH}`,
      rounds: ROUNDS,
      unit: 'msg/s',
      ours: consumerRate,
      baselineName: 'MariaDB multi-row INSERT of the same rows, idempotency key included',
      baseline: baselineRate,
      ratioGoal: RATIO_GOAL,
    }, {
      benchmark: `pending: rectify-orphans, ${RECTIFY_CONCURRENCY} orders at once per gateway, processor answering after ${RECTIFY_LATENCY_MS} ms`,
      size: `${RECTIFY_ORDERS} orphans awaiting approval (status read + approve), Worldline adapter and simulator`,
      rounds: ROUNDS,
      unit: 'orders/s',
      ours: concurrentRate,
      baselineName: 'rectify-orphans one order at a time (RECTIFY_ORPHANS_CONCURRENCY=1)',
      baseline: sequentialRate,
      ratioGoal: RECTIFY_RATIO_GOAL,
    });
  } finally {
    await backend.purge(queue).catch(() => undefined);
    await redis.del(queueKeys(queue).seq).catch(() => undefined);
    await backend.close();
    redis.disconnect();
    await database.close();
    const admin = await mysql.createConnection({ uri: SERVER });
    await admin.query(`DROP DATABASE IF EXISTS \`${name}\``);
    await admin.end();
  }
}

/** consume-pending against the multi-row INSERT of the same rows (issue: the pending lifecycle). */
const RATIO_GOAL = 0.8;
/** Eight orders in flight must settle at least four times as many orders per second as one. */
const RECTIFY_RATIO_GOAL = 4;

/**
 * Orphans settled per second, one order at a time and RECTIFY_CONCURRENCY at once, rounds
 * alternating; every round starts from RECTIFY_ORDERS fresh orphans awaiting approval.
 */
async function rectifyRates(database: Database, backend: RedisQueueBackend, donationsQueue: string, logger: Logger): Promise<{ sequential: number[]; concurrent: number[] }> {
  const worldline = await startWorldlineSimulator({ credentials: [WORLDLINE] });
  try {
    for (const route of ['payments.get', 'payments.approve']) worldline.setFault(route, { latencyMs: RECTIFY_LATENCY_MS });
    const adapters = adaptersFromConfig(
      rectifierConfig({ RECTIFY_ADAPTERS: 'ingenico=worldline', PROCESSOR_ACCOUNTS: JSON.stringify({ ingenico: { default: { ...WORLDLINE, endpoint: worldline.url } } }) }),
    );
    const store = new PendingStore(database.db);
    const deps = { db: database.db, trackingDb: database.db, backend, damagedStore: createDamagedStore(database.db), adapters, retryPolicy: DEFAULT_RETRY_POLICY, logger };
    const base = Math.floor(Date.now() / 1000) - 7200;
    const rates = { sequential: [] as number[], concurrent: [] as number[] };
    for (let round = 0; round < ROUNDS; round++) {
      for (const [kind, concurrency] of [['sequential', 1], ['concurrent', RECTIFY_CONCURRENCY]] as const) {
        // Not timed: fresh orphans and their payments.
        for (const table of ['pending', 'pending_settled', 'rectifier_leases']) await database.pool.query(`DELETE FROM ${table}`);
        await backend.purge(donationsQueue);
        const orphans = Array.from({ length: RECTIFY_ORDERS }, (_, i) => ({
          ...fixture, gateway: 'ingenico', currency: 'EUR', gross: '25.00', order_id: `${70_000_000 + i}.1`, contribution_tracking_id: String(70_000_000 + i),
          gateway_txn_id: `pay-${round}-${i}`, date: base + i,
        }));
        await store.insertMany(orphans.map((orphan) => normalisePendingMessage(orphan)));
        for (const orphan of orphans) {
          worldline.setPayment(orphan.gateway_txn_id, { merchantId: WORLDLINE.merchantId, status: 'PENDING_APPROVAL', statusCode: 600, amount: 2500, currencyCode: 'EUR' });
        }
        const started = performance.now();
        const result = await rectifyOrphans(deps, {
          gateways: ['ingenico'], minAgeMinutes: 30, limitPerGateway: 0, timeLimitSeconds: 0, concurrency,
          resolveMode: 'delete', donationsQueue, pendingQueue: 'pending',
        });
        rates[kind].push(RECTIFY_ORDERS / ((performance.now() - started) / 1000));
        if (result.gateways.ingenico?.outcomes.approved !== RECTIFY_ORDERS) {
          throw new Error(`rectifier approved ${result.gateways.ingenico?.outcomes.approved ?? 0} orders of ${RECTIFY_ORDERS} (${JSON.stringify(result.gateways.ingenico)})`);
        }
      }
    }
    return rates;
  } finally {
    await backend.purge(donationsQueue).catch(() => undefined);
    await worldline.close();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
