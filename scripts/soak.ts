/**
 * `npm run soak -- --minutes N --rate R [--seed S] [--out DIR]`: the drill before a release
 * (docs/soak.md). The whole pipeline under traffic for N minutes, with faults on a seeded
 * schedule, then a drain and every invariant checked, each printed with its figure.
 *
 *   private Redis (append-only file, fsync always), private mariadbd, the Kafka mock cluster,
 *   the fault-injecting proxy in front of Redis, the processor simulator
 *   -> every consumer and job as a process of its own (./soak/worker.ts), through the proxy
 *   -> traffic at R per second per queue and topic (./soak/traffic.ts), with a ledger
 *   -> faults (./soak/fault-schedule.ts, ./soak/fault-driver.ts): SIGKILL a consumer, restart
 *      Redis, stop and start MariaDB, SIGKILL the impressions loader, cut every Redis
 *      connection, slow the processors
 *   -> drain (bounded by --drain-seconds), checks (./soak/run-checks.ts), <out>/report.json,
 *      summary.txt and chart.png in the output directory.
 *
 * Exit 0 only when the run drained and every invariant holds.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import Redis from 'ioredis';
import { openDatabase } from '../lib/db/client';
import { RedisQueueBackend } from '../lib/queue';
import { queueStats } from '../lib/queue/partitions';
import { seedTrackingIdSequence } from '../lib/tracking/id-sequence';
import { createTrackingProducer } from '../lib/tracking/producer';
import { startFaultProxy } from './stack/fault-proxy';
import { recreateDatabase } from './local-run/database';
import { impressionsLag, unsettledOrphans, waiting } from './local-run/observe';
import { startProcessorSimulator } from './processor-simulator';
import { chartSvg, renderPng } from './soak/chart';
import { DonationsReader } from './soak/donations-reader';
import { driveFaults, type FaultRecord } from './soak/fault-driver';
import { FAULT_KINDS, faultSchedule } from './soak/fault-schedule';
import { formatSummary, type SoakReport } from './soak/report';
import { runChecks } from './soak/run-checks';
import { Sampler } from './soak/sampler';
import { sendTraffic, TrafficLedger, type SoakQueues, type SoakTopics } from './soak/traffic';
import { Workers } from './soak/workers';
import { quietKafkaClient, startKafkaMock } from './stack/kafka';
import { startPrivateMariadb } from './stack/mariadb';
import { startRedisServer } from './stack/redis-server';
import { random } from './traffic/impression-events';

const CONSUMERS = ['consume-pending', 'consume-payments-init', 'consume-contribution-tracking', 'consume-rectify', 'rectify-orphans', 'requeue-damaged', 'collect-dead-letters'];
const RECTIFIERS = ['rectify-orphans', 'consume-rectify'];
const RECTIFIED_GATEWAYS = ['ingenico', 'paypal_ec'];
const LOADER = 'load-impressions';
const ORPHAN_AGE_MINUTES = 120;
/** Journeys younger than this are not orphans: the rectifier leaves the run's own traffic alone. */
const RECTIFIER_MIN_AGE_MINUTES = 60;
const SAMPLE_MS = 2000;
const WORKERS_READY_MS = 180_000;
/** Partitions of an auto-created topic of the Kafka mock cluster (scripts/stack/kafka.ts). */
const PARTITIONS = 4;
const BANNER_FACTOR = 100;

const note = (line: string) => process.stderr.write(`${line}\n`);

function positiveInt(max: number) {
  return (value: string) => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 1 || n > max) throw new InvalidArgumentError(`must be a whole number from 1 to ${max}`);
    return n;
  };
}

const program = new Command('soak')
  .description('the soak and fault drill (docs/soak.md)')
  .requiredOption('--minutes <n>', 'minutes of traffic and faults', positiveInt(600))
  .requiredOption('--rate <n>', 'messages per second per queue and per topic', positiveInt(5000))
  .option('--seed <n>', 'seed of the fault schedule and the traffic', positiveInt(2 ** 31), 1)
  .option('--drain-seconds <n>', 'longest wait for everything to drain after the traffic', positiveInt(3600), 600)
  .option('--out <dir>', 'where report.json, summary.txt, chart.png and the workers\' logs go (default .local-stack/soak-<time>)')
  .parse();

interface Options {
  minutes: number;
  rate: number;
  seed: number;
  drainSeconds: number;
  out?: string;
}

async function main(): Promise<number> {
  const options = program.opts<Options>();
  const repo = path.resolve(__dirname, '..');
  const startedAt = new Date();
  const out = path.resolve(options.out ?? path.join(repo, '.local-stack', `soak-${startedAt.toISOString().replace(/[:.]/g, '-')}`));
  const logs = path.join(out, 'logs');
  // Delivery logs are appended to: a previous run's in the same directory would count as this run's.
  rmSync(logs, { recursive: true, force: true });
  mkdirSync(logs, { recursive: true });
  const command = `npm run soak -- --minutes ${options.minutes} --rate ${options.rate} --seed ${options.seed}`;
  const problems: string[] = [];
  try {
    // The stack, all private: faults must never hit a shared server.
    const redis = await startRedisServer({ persistence: true });
    cleanups.push(['redis', () => redis.stop()]);
    mkdirSync(path.join(repo, '.local-stack'), { recursive: true });
    const mariadbDir = mkdtempSync(path.join(repo, '.local-stack', 'soak-mariadb-'));
    // The driver stops MariaDB cleanly (SIGTERM), never kills it, so a commit need not wait for
    // its own fsync to survive: the log is written at each commit and flushed once a second,
    // which keeps every consumer's commits from waiting on this shared disk.
    const mariadb = await startPrivateMariadb({ dir: mariadbDir, log: note, args: ['--innodb-flush-log-at-trx-commit=2'] });
    cleanups.push(['mariadb', async () => {
      await mariadb.halt();
      rmSync(mariadbDir, { recursive: true, force: true });
    }]);
    const kafkaMock = await startKafkaMock();
    cleanups.push(['kafka', () => kafkaMock.stop()]);
    const proxy = await startFaultProxy({ target: { host: redis.host, port: redis.port } });
    cleanups.push(['fault proxy', () => proxy.close()]);
    const simulator = await startProcessorSimulator();
    cleanups.push(['processor simulator', () => simulator.close()]);
    note(`soak: redis 127.0.0.1:${redis.port} (proxy ${proxy.port}), mariadb 127.0.0.1:${mariadb.port}, kafka ${kafkaMock.brokers.join(',')}, output ${out}`);

    const databaseUrl = `${mariadb.url}soak`;
    await recreateDatabase(databaseUrl);
    const topics: SoakTopics = { banner: 'soak-banner', bannerFactor: BANNER_FACTOR, landingPage: 'soak-landingpage', partitions: PARTITIONS };
    const env: Record<string, string> = {
      STAGE: 'local',
      QUEUE_BACKEND: 'redis',
      DATABASE_URL: databaseUrl,
      KAFKA_BROKERS: kafkaMock.brokers.join(','),
      IMPRESSIONS_BANNER_TOPICS: `${topics.banner}:${topics.bannerFactor}`,
      IMPRESSIONS_LANDING_PAGE_TOPICS: topics.landingPage,
      IMPRESSIONS_CONSUMER_GROUP: 'soak',
      IMPRESSIONS_SESSION_TIMEOUT_MS: '6000',
      HOSTED_PAYMENT_BASE_URL: simulator.hostedPaymentUrl,
      EXPRESS_CHECKOUT_BASE_URL: simulator.expressCheckoutUrl,
      RECTIFY_ORPHANS_MIN_AGE_MINUTES: String(RECTIFIER_MIN_AGE_MINUTES),
      TRACKING_HMAC_SECRET: randomBytes(32).toString('hex'),
      // Short runs, so that a killed or failed run is followed by a fresh one soon, as its next schedule would.
      CONSUME_PENDING_TIME_LIMIT_SECONDS: '15',
      CONSUME_PAYMENTS_INIT_TIME_LIMIT_SECONDS: '15',
      TRACKING_CONSUMER_TIME_LIMIT_SECONDS: '15',
      IMPRESSIONS_TIME_LIMIT_SECONDS: '15',
      RECTIFY_ORPHANS_TIME_LIMIT_SECONDS: '15',
      QUEUE_VISIBILITY_TIMEOUT_SECONDS: '20',
      // A failed invocation (database stopped, Redis restarting) is followed by the next one after
      // this long, as the next scheduled run would: retrying every second through an outage would
      // burn a receive count each time and dead-letter good messages.
      SOAK_RETRY_MS: '10000',
      LOG_LEVEL: 'warn',
    };
    Object.assign(process.env, env, { REDIS_URL: redis.url });
    // The configs read the environment just set.
    const { pendingConfig } = await import('../lib/pending/config');
    const { trackingConfig } = await import('../lib/tracking/config');
    const pending = pendingConfig();
    const tracking = trackingConfig();
    const queues: SoakQueues = { pending: pending.PENDING_QUEUE, paymentsInit: pending.PAYMENTS_INIT_QUEUE, tracking: tracking.TRACKING_QUEUE, donations: pending.DONATIONS_QUEUE, rectify: pending.RECTIFY_QUEUE };

    const direct = new Redis(redis.url, { maxRetriesPerRequest: null });
    direct.on('error', () => undefined);
    const backend = new RedisQueueBackend({ redis: direct });
    const database = openDatabase(databaseUrl, { connectionLimit: 4 });
    cleanups.push(['clients', async () => {
      await backend.close();
      direct.disconnect();
      await database.close();
    }]);
    await seedTrackingIdSequence(direct, tracking.TRACKING_ID_SEQUENCE_KEY, 0);
    const kafka = quietKafkaClient(kafkaMock.brokers);
    const admin = kafka.admin();
    await admin.connect();
    // The mock cluster creates a topic with 4 partitions on its first use.
    const producer = kafka.producer({ allowAutoTopicCreation: true });
    await producer.connect();
    cleanups.push(['kafka clients', async () => {
      await producer.disconnect();
      await admin.disconnect();
    }]);

    let trafficStarted = Date.now();
    const clock = () => Date.now() - trafficStarted;
    const workers = new Workers({ functions: [...CONSUMERS, LOADER], env: { ...process.env, ...env, REDIS_URL: proxy.url }, dir: logs, clock });
    cleanups.push(['workers', () => workers.stopAll()]);
    workers.startAll();
    await workers.ready(WORKERS_READY_MS);
    const donations = new DonationsReader(backend, queues.donations);
    donations.start();
    cleanups.push(['donations reader', () => donations.stop()]);

    const ledger = new TrafficLedger();
    const queueNames = [queues.pending, queues.paymentsInit, queues.tracking, queues.donations, queues.rectify];
    const sampler = new Sampler({ backend, redis: direct, workers, queues: queueNames, pushed: () => ledger.pushedCount(), clock });
    const inFlight = async () => {
      const figures: Record<string, number> = {};
      for (const queue of queueNames) figures[queue] = (await queueStats(backend, queue)).inFlight;
      return figures;
    };
    const loaderLag = async () => Object.values(await impressionsLag(admin, database.pool, 'soak', [topics.banner, topics.landingPage])).reduce((sum, t) => sum + t.lag, 0);

    // Traffic and faults.
    const schedule = faultSchedule(options.minutes, options.seed);
    trafficStarted = Date.now();
    sampler.start(SAMPLE_MS);
    cleanups.push(['sampler', async () => sampler.stop()]);
    const stopFaults = new AbortController();
    const faultsDone = driveFaults(schedule, { workers, consumers: CONSUMERS, loader: LOADER, redis, mariadb, proxy, simulator, inFlight, loaderLag, clock }, stopFaults.signal, (fault: FaultRecord) =>
      note(`${(fault.atMs / 1000).toFixed(0).padStart(5)} s  ${fault.kind}: ${fault.error ? `FAILED ${fault.error}` : fault.detail}`),
    );
    const trafficSendsUntil = trafficStarted + options.minutes * 60_000;
    await sendTraffic(
      { backend, redis: direct, trackingProducer: createTrackingProducer({ backend, redis: direct, queue: queues.tracking, sequenceKey: tracking.TRACKING_ID_SEQUENCE_KEY }), kafka: producer, simulator, queues, topics, random: random(options.seed), seed: options.seed, orphanAgeMinutes: ORPHAN_AGE_MINUTES },
      ledger,
      { rate: options.rate, endAt: trafficSendsUntil, signal: new AbortController().signal },
    );
    const trafficMs = clock();
    const faults = await faultsDone;
    simulator.setLatency(0);
    note(`soak: traffic over after ${(trafficMs / 1000).toFixed(0)} s (${ledger.pushedCount()} messages, ${ledger.produced} events, ${faults.length} faults); draining`);

    // Drain: nothing waiting in any queue, no event unloaded, no orphan unsettled.
    const drainStarted = Date.now();
    let drainSeconds: number | null = null;
    let left: string[] = [];
    let lastNote = 0;
    while (Date.now() - drainStarted < options.drainSeconds * 1000) {
      left = [];
      try {
        for (const queue of queueNames) {
          const stats = await queueStats(backend, queue);
          // Rectify triggers of the run's young rows are delayed until those rows become orphans: they stay.
          if (queue === queues.rectify ? stats.ready + stats.inFlight > 0 : waiting(stats) > 0) left.push(`${queue}: ${stats.ready} ready, ${stats.inFlight} in flight, ${stats.delayed} delayed, ${stats.dead} dead`);
        }
        const lag = await loaderLag();
        if (lag > 0) left.push(`impressions: ${lag} events not loaded`);
        const orphans = await unsettledOrphans(database.pool, RECTIFIED_GATEWAYS, RECTIFIER_MIN_AGE_MINUTES);
        if (orphans > 0) left.push(`pending: ${orphans} orphans not settled`);
      } catch (error) {
        left.push(`cannot look: ${(error as Error).message}`);
      }
      if (left.length === 0) {
        drainSeconds = Math.round((Date.now() - drainStarted) / 1000);
        break;
      }
      if (Date.now() - lastNote > 10_000) {
        lastNote = Date.now();
        note(`draining (${Math.round((Date.now() - drainStarted) / 1000)} s): ${left.join('; ')}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
    if (drainSeconds === null) problems.push(`not drained within --drain-seconds=${options.drainSeconds}: ${left.join('; ')}`);
    sampler.stop();
    const samplingEndedMs = clock();
    await donations.stop();
    await workers.stopAll();
    for (const fault of faults.filter((f) => f.error)) problems.push(`fault ${fault.kind} at ${Math.round(fault.atMs / 1000)} s could not be carried out: ${fault.error}`);

    const invariants = await runChecks({
      pool: database.pool,
      db: database.db,
      queues,
      ledger,
      deliveryLogs: readdirSync(logs).filter((f) => f.startsWith('deliveries-')).map((f) => path.join(logs, f)),
      faults,
      donations: donations.counts(),
      rectifiers: RECTIFIERS,
      rectifiedGateways: RECTIFIED_GATEWAYS,
      memory: sampler.lives(),
      endMs: samplingEndedMs,
      loader: LOADER,
    });
    const pushed = Object.fromEntries([...ledger.pushed].map(([queue, keys]) => [queue, keys.length]));
    const report: SoakReport = {
      command,
      minutes: options.minutes,
      rate: options.rate,
      seed: options.seed,
      startedAt: startedAt.toISOString(),
      trafficSeconds: Math.round(trafficMs / 1000),
      drainSeconds,
      pushed,
      produced: ledger.produced,
      retriedPushes: ledger.retriedPushes,
      achievedRate: Object.fromEntries(Object.entries(pushed).map(([queue, n]) => [queue, Math.round(n / (trafficMs / 1000))])),
      faults,
      faultsByKind: Object.fromEntries(FAULT_KINDS.map((kind) => [kind, faults.filter((f) => f.kind === kind && !f.error).length])),
      invariants,
      problems,
      samples: sampler.samples,
      memory: Object.fromEntries(sampler.lives()),
      ok: problems.length === 0 && invariants.every((inv) => inv.ok),
    };
    const summary = formatSummary(report);
    writeFileSync(path.join(out, 'report.json'), `${JSON.stringify(report, null, 2)}\n`);
    writeFileSync(path.join(out, 'summary.txt'), `${summary}\n`);
    const endMs = clock();
    await renderPng(chartSvg(sampler.samples, faults, { title: `${command}: ${report.ok ? 'passed' : 'FAILED'}`, endMs }), path.join(out, 'chart.png'));
    process.stdout.write(`${summary}\n  report: ${path.join(out, 'report.json')}\n  chart: ${path.join(out, 'chart.png')}\n`);
    return report.ok ? 0 : 1;
  } finally {
    await cleanUp();
  }
}

/** What the run started, in start order; stopped last first, at the end or on SIGINT or SIGTERM. */
const cleanups: Array<[string, () => Promise<unknown>]> = [];

async function cleanUp(): Promise<void> {
  for (const [name, cleanup] of cleanups.splice(0).reverse()) {
    try {
      await cleanup();
    } catch (error) {
      note(`soak: stopping ${name} failed: ${(error as Error).message}`);
    }
  }
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    note(`soak: ${signal}; stopping what the run started`);
    void cleanUp().finally(() => process.exit(130));
  });
}

main().then(
  (code) => process.exit(code),
  (error: Error) => {
    note(`soak failed: ${error.stack ?? error.message}`);
    process.exit(1);
  },
);
