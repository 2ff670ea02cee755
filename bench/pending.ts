/**
 * `npm run bench pending`. consume-pending: how fast the consumer moves messages from a Redis queue into MariaDB, beside
 * MariaDB's own multi-row INSERT of the same rows (idempotency key and its ON DUPLICATE KEY
 * clause included, BENCH_PENDING_CHUNK rows per statement, as many as the consumer's batch, no
 * queue). Target: at least 0.8 of it, and 3,000 messages/s.
 *
 * BENCH_PENDING_MESSAGES (per round, default 10000), BENCH_PENDING_ROUNDS (default 3; medians are
 * printed), BENCH_PENDING_BATCH (consumer batch, default 500), BENCH_PENDING_CHUNK (baseline rows
 * per INSERT, default the batch). Uses its own database and queue, dropped afterwards.
 */
import { randomBytes } from 'node:crypto';
import mysql from 'mysql2/promise';
import { createDamagedStore } from '../lib/consumer/damaged-store';
import { DEFAULT_RETRY_POLICY } from '../lib/consumer/retry-policy';
import { migrateDatabase, openDatabase } from '../lib/db/client';
import { createLogger } from '../lib/log';
import { consumePending } from '../lib/pending/consume-pending';
import { normalisePendingMessage } from '../lib/pending/normalise-message';
import { pendingMessageKey } from '../lib/pending/pending-store';
import Redis from 'ioredis';
import { RedisQueueBackend } from '../lib/queue';
import { queueKeys } from '../lib/queue/redis/keys';
import fixture from '../fixtures/pending-message.json';
import { writePipelineResult } from './results';

const MESSAGES = Number(process.env.BENCH_PENDING_MESSAGES ?? 10000);
const BATCH = Number(process.env.BENCH_PENDING_BATCH ?? 500);
const CHUNK = Number(process.env.BENCH_PENDING_CHUNK ?? BATCH);
const ROUNDS = Number(process.env.BENCH_PENDING_ROUNDS ?? 3);
const SERVER = process.env.BENCH_DATABASE_SERVER_URL ?? 'mysql://root@127.0.0.1:3306/';
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

function messages(): Array<Record<string, unknown>> {
  const base = Math.floor(Date.now() / 1000) - 3600;
  return Array.from({ length: MESSAGES }, (_, i) => ({
    ...fixture,
    contribution_tracking_id: String(60_000_000 + i),
    order_id: `${60_000_000 + i}.1`,
    date: base + (i % 3600),
  }));
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
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

    const consumerRate = median(consumerRates);
    const baselineRate = median(baselineRates);
    const line = (label: string, rate: number, all: number[]) =>
      `${label.padEnd(44)} ${rate.toFixed(0).padStart(8)} msg/s  (rounds: ${all.map((r) => r.toFixed(0)).join(', ')})`;
    console.log(`pending benchmark: ${MESSAGES} messages x ${ROUNDS} rounds (medians), consumer batch ${BATCH}, baseline INSERT chunk ${CHUNK}`);
    console.log(line('consume-pending (Redis queue → MariaDB)', consumerRate, consumerRates));
    console.log(line('baseline: MariaDB multi-row INSERT (with key)', baselineRate, baselineRates));
    console.log(`ratio consumer / baseline: ${(consumerRate / baselineRate).toFixed(2)} (target ≥ ${RATIO_GOAL})   target ≥ 3000 msg/s: ${consumerRate >= 3000 ? 'met' : 'NOT met'}`);
    // A run with its size overridden is a quick look, not a figure for the README.
    if (process.env.BENCH_PENDING_MESSAGES === undefined) writePipelineResult('pending', {
      benchmark: 'pending: consume-pending, queue → MariaDB',
      size: `${MESSAGES.toLocaleString('en-US')} messages, batch ${BATCH}`,
      rounds: ROUNDS,
      unit: 'msg/s',
      ours: consumerRate,
      baselineName: 'MariaDB multi-row INSERT of the same rows, idempotency key included',
      baseline: baselineRate,
      ratioGoal: RATIO_GOAL,
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

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
