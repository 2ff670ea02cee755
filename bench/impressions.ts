/**
 * Impressions loader throughput: events per second from Kafka into MariaDB, printed beside
 * the raw kafkajs consume rate (same topic, same machine, same run, no processing at all).
 *
 *   npx tsx bench/impressions.ts                     # 200,000 events (target: >= 50,000/s)
 *   IMPRESSIONS_BENCH_EVENTS=50000 npx tsx bench/impressions.ts   # quick run
 *
 * Starts its own Kafka mock cluster and a scratch database (dropped at the end). Events are
 * generated like the tests' (4 partitions, gzip batches) and spread over
 * IMPRESSIONS_BENCH_MINUTES minutes (default 10), which sets how many events share a cell.
 * IMPRESSIONS_BENCH_ROUNDS (default 3) rounds alternate the two measurements over the same
 * topic (each with a consumer group of its own, the loader into emptied tables), so that a busy
 * neighbour slows both alike; medians are printed. Each round also prints the CPU each side used
 * (this process and the local MariaDB server, bench/cpu-time.ts) against its window: the raw side
 * alone keeps the cores of a small machine nearly busy, and the loader's share says how much more
 * work per event it does.
 */
import { randomBytes } from 'node:crypto';
import mysql from 'mysql2/promise';
import { migrateDatabase, openDatabase } from '../lib/db/client';
import { ImpressionsLoader } from '../lib/impressions/batch-commit';
import { impressionsConfig } from '../lib/impressions/config';
import { createKafkaClient } from '../lib/impressions/kafka-client';
import { consumeImpressions, type BatchReport } from '../lib/impressions/kafka-consumer-loop';
import { createLogger } from '../lib/log';
import { startKafkaMock } from '../scripts/stack/kafka';
import { generateBannerEvents } from '../scripts/traffic/impression-events';
import { produce, quietKafkaClient } from '../scripts/stack/kafka';
import { cpuSince, describeCpu, sampleCpu } from './cpu-time';
import { median, writePipelineResult } from './results';

const EVENTS = Number(process.env.IMPRESSIONS_BENCH_EVENTS ?? 200_000);
const MINUTES = Number(process.env.IMPRESSIONS_BENCH_MINUTES ?? 10);
const SERVER_URL = process.env.BENCH_DATABASE_SERVER_URL ?? 'mysql://root@127.0.0.1:3306/';
const TARGET = 50_000;
// The loader's own setting (IMPRESSIONS_PARTITIONS_CONCURRENTLY), default included.
const CONCURRENCY = impressionsConfig().IMPRESSIONS_PARTITIONS_CONCURRENTLY;
const ROUNDS = Number(process.env.IMPRESSIONS_BENCH_ROUNDS ?? 3);
const quiet = createLogger({}, { level: 'silent' });

/** One side of a round: its rate, and the CPU it used for its window (bench/cpu-time.ts). */
interface Side {
  rate: number;
  cpu: string;
}

async function rawConsumeRate(brokers: string[], topic: string): Promise<Side> {
  const cpu = sampleCpu();
  const consumer = quietKafkaClient(brokers).consumer({ groupId: `raw-${randomBytes(4).toString('hex')}`, maxWaitTimeInMs: 1000 });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  let received = 0;
  let first = 0;
  let last = 0;
  await new Promise<void>((resolve) => {
    void consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch }) => {
        first ||= Date.now();
        received += batch.messages.length;
        last = Date.now();
        if (received >= EVENTS) resolve();
      },
    });
  });
  await consumer.disconnect();
  return { rate: (received / Math.max(1, last - first)) * 1000, cpu: describeCpu(cpuSince(cpu), last - first) };
}

async function loaderRate(brokers: string[], topic: string, databaseUrl: string): Promise<Side & { cells: number }> {
  const database = openDatabase(databaseUrl, { connectionLimit: 4 });
  const loader = new ImpressionsLoader({ db: database.db, pool: database.pool, logger: quiet, invalidLogSample: 0 });
  const stop = new AbortController();
  let applied = 0;
  let first = Number.POSITIVE_INFINITY;
  let last = 0;
  let cells = 0;
  const onBatch = (report: BatchReport) => {
    first = Math.min(first, report.startedAt);
    last = Math.max(last, report.settledAt);
    applied += report.result.applied;
    cells += report.result.cells;
    if (applied >= EVENTS) stop.abort();
  };
  const cpu = sampleCpu();
  try {
    await consumeImpressions({
      kafka: createKafkaClient({ brokers, clientId: 'bench', logger: quiet }),
      loader,
      consumerGroup: `bench-${randomBytes(4).toString('hex')}`,
      topics: [{ topic, kind: 'banner', factor: 100 }],
      timeLimitMs: 600_000,
      startFrom: 'earliest',
      sessionTimeoutMs: 10_000,
      kafkaCommitIntervalMs: 5000,
      signal: stop.signal,
      onBatch,
      partitionsConcurrently: CONCURRENCY,
      logger: quiet,
    });
  } finally {
    await database.close();
  }
  return { rate: (applied / Math.max(1, last - first)) * 1000, cells, cpu: describeCpu(cpuSince(cpu), last - first) };
}

/** Empties what the loader writes, so that every round loads into the same empty tables. */
async function emptyTables(databaseUrl: string): Promise<void> {
  const conn = await mysql.createConnection({ uri: databaseUrl });
  for (const table of ['bannerimpressions', 'landingpageimpression_raw', 'donatewiki_unique', 'impressions_kafka_offsets']) await conn.query(`TRUNCATE TABLE ${table}`);
  await conn.end();
}

/** The loader against raw consumption by the same client (issue: analysts and the CRM on day one). */
const RATIO_GOAL = 0.6;

async function main(): Promise<void> {
  const name = `bench_impressions_${Date.now()}_${randomBytes(3).toString('hex')}`;
  const url = new URL(SERVER_URL);
  url.pathname = `/${name}`;
  const mock = await startKafkaMock();
  try {
    await migrateDatabase(url.toString());
    const topic = `bench-${randomBytes(4).toString('hex')}`;
    const events = generateBannerEvents({ count: EVENTS, partitions: 4, minutes: MINUTES, seed: 11 });
    const produced = Date.now();
    await produce(quietKafkaClient(mock.brokers), topic, events.map((event) => ({ partition: event.partition, value: JSON.stringify(event.body) })));
    console.log(`produced ${EVENTS} events over 4 partitions in ${Date.now() - produced} ms`);

    const raws: number[] = [];
    const loads: number[] = [];
    let cells = 0;
    for (let round = 0; round < ROUNDS; round++) {
      const rawSide = await rawConsumeRate(mock.brokers, topic);
      raws.push(rawSide.rate);
      await emptyTables(url.toString());
      const loaded = await loaderRate(mock.brokers, topic, url.toString());
      loads.push(loaded.rate);
      cells = loaded.cells;
      console.log(`round ${round + 1}: raw ${Math.round(rawSide.rate).toLocaleString('en')} events/s, loader ${Math.round(loaded.rate).toLocaleString('en')} events/s (${loaded.cells} cell upserts), ratio ${(loaded.rate / rawSide.rate).toFixed(2)}`);
      // Both sides' CPU over their windows: a side near 100% of the cores is bound by the machine, not by its code.
      console.log(`  raw:    ${rawSide.cpu}`);
      console.log(`  loader: ${loaded.cpu}`);
    }
    const raw = median(raws);
    const loaded = { rate: median(loads), cells };

    console.log('');
    console.log(`medians of ${ROUNDS} rounds:`);
    console.log(`raw kafkajs consume (no processing):   ${Math.round(raw).toLocaleString('en')} events/s`);
    console.log(`loader, Kafka -> MariaDB:              ${Math.round(loaded.rate).toLocaleString('en')} events/s`);
    console.log(`ratio loader / raw consume:            ${(loaded.rate / raw).toFixed(2)}`);
    console.log(`target ${TARGET.toLocaleString('en')} events/s:                 ${loaded.rate >= TARGET ? 'met' : 'NOT met'} (${(loaded.rate / TARGET).toFixed(2)}x); ratio target ≥ ${RATIO_GOAL}: ${loaded.rate / raw >= RATIO_GOAL ? 'met' : 'NOT met'}`);
    // A run with its size overridden is a quick look, not a figure for the README.
    if (process.env.IMPRESSIONS_BENCH_EVENTS === undefined) writePipelineResult('impressions', {
      benchmark: 'impressions: Kafka → MariaDB per-minute tables',
      size: `${EVENTS.toLocaleString('en-US')} banner events over 4 partitions`,
      rounds: ROUNDS,
      unit: 'events/s',
      ours: loaded.rate,
      baselineName: 'raw kafkajs consumption by the same client',
      baseline: raw,
      ratioGoal: RATIO_GOAL,
    });
  } finally {
    await mock.stop();
    const admin = await mysql.createConnection({ uri: SERVER_URL });
    await admin.query(`DROP DATABASE IF EXISTS \`${name}\``);
    await admin.end();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
