/**
 * `npx tsx bench/tracking.ts`: how fast `consume-contribution-tracking` moves tracking messages
 * from a Redis queue into MariaDB (event log + merged summary + contribution_source, one
 * transaction per batch), beside MariaDB's own bulk-insert rate for the same rows measured in
 * the same run: multi-row INSERTs of the same event rows and the same final summary and
 * contribution_source rows, in transactions of the same size, with no queue, no reads and no
 * merging. Target: at least 5,000 messages/s end to end.
 *
 * Messages look like production: a first message with every field and a later update with the
 * contribution_id for each id, the update delivered first for a tenth of the ids.
 * BENCH_TRACKING_MESSAGES (per round, default 20000), BENCH_TRACKING_ROUNDS (default 3; medians
 * printed), BENCH_TRACKING_BATCH (consumer batch and baseline transaction size, default 1000 as TRACKING_CONSUMER_BATCH_SIZE),
 * BENCH_TRACKING_PARTITIONS (default: as the tracking queue is declared in queues/definitions.json,
 * partitioned by id, consumed by one run over all its partitions, up to one batch per partition at
 * once: the path production takes; 0: a plain queue, for comparison, which writes no result file).
 * Uses its own database and queue, dropped afterwards.
 */
import { randomBytes } from 'node:crypto';
import Redis from 'ioredis';
import mysql from 'mysql2/promise';
import { createDamagedStore } from '../lib/consumer/damaged-store';
import { DEFAULT_RETRY_POLICY } from '../lib/consumer/retry-policy';
import { migrateDatabase, openDatabase } from '../lib/db/client';
import { createLogger } from '../lib/log';
import { RedisQueueBackend } from '../lib/queue';
import { definedPartitionSpec, partitionStorageQueues, queueProducer, type PartitionSpec } from '../lib/queue/partitions';
import { messageHash } from '../lib/tracking/event-log';
import { consumeContributionTracking } from '../lib/tracking/consumer';
import { foldByTrackingId, type TrackingEvent } from '../lib/tracking/merge';
import { normaliseTrackingMessage } from '../lib/tracking/message';
import { formAmountOf, toSummaryRow } from '../lib/tracking/summary-store';
import { bulkInsert as bulkStatement } from '../lib/db/bulk-insert';
import { drizzleOn } from '../lib/db/client';
import { contributionTrackingDetail } from '../lib/db/schema';
import { detailAmountOf, toDetailRow } from '../lib/tracking/detail';
import { loadRates, parseEcbRates } from '../lib/tracking/exchange-rates';
import { readRatesFor } from '../lib/tracking/usd-amount';
import { readFileSync } from 'node:fs';
import { getTableColumns } from 'drizzle-orm';
import path from 'node:path';
import { splitUtmSource } from '../lib/tracking/contribution-source';
import first from '../fixtures/contribution-tracking-first.json';
import update from '../fixtures/contribution-tracking-update.json';
import { median, writePipelineResult } from './results';

const MESSAGES = Number(process.env.BENCH_TRACKING_MESSAGES ?? 20000);
const ROUNDS = Number(process.env.BENCH_TRACKING_ROUNDS ?? 3);
const BATCH = Number(process.env.BENCH_TRACKING_BATCH ?? 1000);
const DECLARED_PARTITIONS = definedPartitionSpec('contribution-tracking')?.partitions ?? 0;
const PARTITIONS = Number(process.env.BENCH_TRACKING_PARTITIONS ?? DECLARED_PARTITIONS);
const SERVER = process.env.BENCH_DATABASE_SERVER_URL ?? 'mysql://root@127.0.0.1:3306/';
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const TARGET = 5000;

/** Two messages per id; ids advance per round so that every round writes new rows. */
function messages(round: number): Array<Record<string, string>> {
  const out: Array<Record<string, string>> = [];
  const base = 70_000_000 + round * MESSAGES;
  for (let i = 0; out.length < MESSAGES; i++) {
    const id = String(base + i);
    const a = { ...first, id, utm_key: `vw_1366.vh_657.ptf_1.time_${i % 60}` };
    const b = { ...update, id, contribution_id: String(900_000_000 + base + i) };
    if (i % 10 === 0) out.push(b, a);
    else out.push(a, b);
  }
  return out.slice(0, MESSAGES);
}

/** MariaDB alone: the rows the consumer ends up writing, inserted as fast as multi-row INSERTs go. */
async function bulkInsert(pool: mysql.Pool, bodies: Array<Record<string, string>>): Promise<number> {
  const events = bodies.map((body, i) => {
    const text = JSON.stringify(body);
    const message = normaliseTrackingMessage(body);
    return { row: [message.id, message.ts, messageHash(body), text], event: { eventId: i + 1, trackingId: message.id, ts: message.ts, fields: message.fields } as TrackingEvent };
  });
  const merged = [...foldByTrackingId(events.map((e) => e.event)).values()];
  // The rows the consumer writes include usd_amount and the detail table: converted here, before the clock starts.
  const rates = await readRatesFor(drizzleOn(pool), merged.flatMap((m) => [formAmountOf(m), detailAmountOf(m)]).filter((a) => a !== undefined));
  const summaries = merged.map((m) => toSummaryRow(m, [], { rates, issues: [] }));
  const detailRows = DETAIL_INSERT.values(merged.map((m) => toDetailRow(m, rates)));
  const summaryRows = summaries.map((r) => [r.id, r.contributionId, r.formAmount, r.usdAmount, r.note, r.referrer, r.anonymous, r.utmSource, r.utmMedium, r.utmCampaign, r.utmKey, r.paymentsForm, r.optout, r.language, r.country, r.ts]);
  const sourceRows = summaries.flatMap((r) => {
    const split = splitUtmSource(r.utmSource);
    return split ? [[r.id, split.banner, split.landingPage, split.paymentMethod]] : [];
  });
  const started = performance.now();
  const summaryPerBatch = Math.ceil(summaryRows.length / Math.ceil(events.length / BATCH));
  for (let i = 0, s = 0; i < events.length; i += BATCH, s += summaryPerBatch) {
    const conn = await pool.getConnection();
    try {
      await conn.beginTransaction();
      await conn.query('INSERT INTO contribution_tracking_event (contribution_tracking_id, ts, message_hash, message) VALUES ?', [events.slice(i, i + BATCH).map((e) => e.row)]);
      const summaryChunk = summaryRows.slice(s, s + summaryPerBatch);
      if (summaryChunk.length > 0) {
        await conn.query(
          'INSERT INTO contribution_tracking (id, contribution_id, form_amount, usd_amount, note, referrer, anonymous, utm_source, utm_medium, utm_campaign, utm_key, payments_form, optout, language, country, ts) VALUES ?',
          [summaryChunk],
        );
        const sourceChunk = sourceRows.slice(s, s + summaryPerBatch);
        if (sourceChunk.length > 0) await conn.query('INSERT INTO contribution_source (contribution_tracking_id, banner, landing_page, payment_method) VALUES ?', [sourceChunk]);
        await conn.query(DETAIL_INSERT.statement, [detailRows.slice(s, s + summaryPerBatch)]);
      }
      await conn.commit();
    } finally {
      conn.release();
    }
  }
  return bodies.length / ((performance.now() - started) / 1000);
}

const DETAIL_INSERT = bulkStatement(contributionTrackingDetail, Object.keys(getTableColumns(contributionTrackingDetail)) as Array<keyof typeof contributionTrackingDetail.$inferInsert>);

async function truncateAll(pool: mysql.Pool): Promise<void> {
  for (const table of ['contribution_tracking_event', 'contribution_tracking', 'contribution_source', 'contribution_tracking_detail', 'damaged']) {
    await pool.query(`TRUNCATE TABLE ${table}`);
  }
}

async function main(): Promise<void> {
  const name = `bench_tracking_${Date.now()}_${randomBytes(2).toString('hex')}`;
  const url = new URL(SERVER);
  url.pathname = `/${name}`;
  await migrateDatabase(url.toString());
  const database = openDatabase(url.toString(), { connectionLimit: 4 });
  // Rates for the fixtures' BRL, so that both sides convert amounts.
  await loadRates(database.pool, parseEcbRates(readFileSync(path.resolve(__dirname, '../fixtures/exchange-rates/eurofxref-sample.xml'), 'utf8')));
  const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
  const backend = new RedisQueueBackend({ redis });
  const queue = `bench-tracking-${name}`;
  const spec: PartitionSpec | undefined = PARTITIONS > 0 ? { queue, partitions: PARTITIONS, partitionKey: 'id' } : undefined;
  const producer = queueProducer(backend, queue, () => spec);
  const logger = createLogger({ component: 'bench' }, { level: 'silent' });
  const baselineRates: number[] = [];
  const consumerRates: number[] = [];
  const pushRates: number[] = [];
  try {
    // Rounds alternate the two measurements, so that a busy neighbour slows both alike.
    for (let round = 0; round < ROUNDS; round++) {
      const bodies = messages(round);
      await truncateAll(database.pool);
      baselineRates.push(await bulkInsert(database.pool, bodies));
      await truncateAll(database.pool);

      let started = performance.now();
      for (let i = 0; i < bodies.length; i += 5000) await producer.pushBatch(bodies.slice(i, i + 5000));
      pushRates.push(bodies.length / ((performance.now() - started) / 1000));

      started = performance.now();
      const counts = await consumeContributionTracking({
        backend,
        pool: database.pool,
        damagedStore: createDamagedStore(database.db),
        retryPolicy: DEFAULT_RETRY_POLICY,
        logger,
        queue,
        redis,
        partitionSpec: spec,
        sequenceKey: `${queue}:id-sequence`,
        batchSize: BATCH,
        timeLimitSeconds: 0,
        messageLimit: 0,
      });
      consumerRates.push(counts.processed / ((performance.now() - started) / 1000));
      if (counts.succeeded !== bodies.length) throw new Error(`expected ${bodies.length} stored messages, got ${JSON.stringify(counts)}`);
      const [[row]] = await database.pool.query<mysql.RowDataPacket[]>('SELECT COUNT(*) AS n, COUNT(contribution_id) AS c FROM contribution_tracking');
      if (Number(row!.n) !== Math.ceil(bodies.length / 2) || Number(row!.c) !== Number(row!.n)) throw new Error('summary rows do not match the messages');
    }
  } finally {
    for (const storage of spec ? partitionStorageQueues(backend, spec) : [queue]) await backend.purge(storage).catch(() => undefined);
    await backend.close();
    redis.disconnect();
    await database.close();
    const admin = await mysql.createConnection({ uri: SERVER });
    await admin.query(`DROP DATABASE IF EXISTS \`${name}\``);
    await admin.end();
  }
  const consumer = median(consumerRates);
  const baseline = median(baselineRates);
  const fmt = (n: number) => Math.round(n).toLocaleString('en-US').padStart(9);
  const shape = PARTITIONS > 0 ? `a queue of ${PARTITIONS} partitions` : 'a plain queue';
  console.log(`contribution tracking, ${MESSAGES} messages per round (${MESSAGES / 2} ids) on ${shape}, batch ${BATCH}, ${ROUNDS} rounds, medians:`);
  console.log(`  MariaDB bulk insert of the same rows (baseline) ${fmt(baseline)} msg/s`);
  console.log(`  consume-contribution-tracking, queue → MariaDB  ${fmt(consumer)} msg/s   ratio ${(consumer / baseline).toFixed(2)} of baseline`);
  console.log(`  (producer pushBatch into the queue             ${fmt(median(pushRates))} msg/s, not part of the figure above)`);
  console.log(`  target ${TARGET.toLocaleString('en-US')} msg/s: ${consumer >= TARGET ? 'met' : 'NOT met'}; ratio target ≥ ${RATIO_GOAL}: ${consumer / baseline >= RATIO_GOAL ? 'met' : 'NOT met'}`);
  // A run with its size overridden is a quick look, not a figure for the README.
  if (process.env.BENCH_TRACKING_MESSAGES === undefined && PARTITIONS === DECLARED_PARTITIONS) writePipelineResult('tracking', {
    benchmark: 'tracking: consume-contribution-tracking, queue → MariaDB (event log + summary)',
    size: `${MESSAGES.toLocaleString('en-US')} messages over ${(MESSAGES / 2).toLocaleString('en-US')} ids, ${shape}, batch ${BATCH}`,
    rounds: ROUNDS,
    unit: 'msg/s',
    ours: consumer,
    baselineName: 'MariaDB bulk insert of the same rows',
    baseline,
    ratioGoal: RATIO_GOAL,
  });
}

/** The tracking consumer against a bulk insert of the same rows (issue: analysts and the CRM on day one). */
const RATIO_GOAL = 0.6;

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
