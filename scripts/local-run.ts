/**
 * `npm start`: the whole pipeline, locally, ending by itself with a summary.
 *
 *   local stack (Redis, MariaDB, Kafka mock cluster, SQS emulator; private where missing)
 *   -> the run's own database (LOCAL_RUN_DATABASE, dropped and migrated) and Redis database
 *      (LOCAL_RUN_REDIS_DB, its queues purged)
 *   -> the Worldline, Adyen and PayPal simulators on private loopback ports, the rectifier
 *      pointed at them through RECTIFY_ADAPTERS and PROCESSOR_ACCOUNTS (./local-run/processors.ts)
 *   -> serverless-offline with every function of serverless.yml and its real triggers
 *      (schedules at the fastest rate they support, one minute; the httpApi route)
 *   -> traffic for LOCAL_RUN_SECONDS at LOCAL_RUN_RATE per kind, a live progress line, while
 *      the run also invokes each scheduled function through serverless-offline's Lambda
 *      invoke endpoint every LOCAL_RUN_TICK_SECONDS (schedules cannot run more than once a
 *      minute, and a run of one to two minutes needs more passes than that)
 *   -> wait until every queue, topic and job has drained (bounded by LOCAL_RUN_DRAIN_SECONDS)
 *   -> summary per queue, topic, function and table; everything started is stopped.
 *
 * Exit 0 only when every queue drained to zero, every topic was loaded, due retries and orphans
 * were settled, no invocation failed, every table has rows, and the pending lifecycle held: an
 * orphan settled at each processor, each orphan ended as it must (one donation or none),
 * completed orders left no row and no donation, duplicates made no second row or donation
 * (summary.ts lifecycleSummary). Ctrl-C prints the summary too
 * (exit 130); a second Ctrl-C stops everything at once.
 *
 * Settings (scripts/local-run/config.ts): LOCAL_RUN_SECONDS (30), LOCAL_RUN_RATE (20 per second
 * per kind), LOCAL_RUN_DRAIN_SECONDS (60), LOCAL_RUN_TIMEOUT_SECONDS (300), LOCAL_RUN_TICK_SECONDS
 * (2), LOCAL_RUN_DATABASE (buffer_local), LOCAL_RUN_REDIS_DB (11), LOCAL_RUN_SERVERLESS_CONFIG
 * (serverless.yml), LOCAL_RUN_OFFLINE_LOG (.local-stack/last-run/offline.log); REDIS_URL,
 * DATABASE_URL, KAFKA_BROKERS, SQS_ENDPOINT name servers to use instead of private ones;
 * LOG_LEVEL the functions' log level (info). The run's stage shortens two waits through their
 * own variables (LOCAL_STAGE_SETTINGS below), unless the environment sets them.
 */
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import Redis from 'ioredis';
import { Kafka, logLevel as kafkaLogLevel, type Admin, type Producer } from 'kafkajs';
import { createDamagedStore } from '../lib/consumer/damaged-store';
import { openDatabase, type Database } from '../lib/db/client';
import { impressionsConfig, type ImpressionsConfig } from '../lib/impressions/config';
import { pendingConfig } from '../lib/pending/config';
import { RedisQueueBackend } from '../lib/queue';
import { rectifiedGateways } from '../lib/rectifier/adapters';
import { rectifierConfig } from '../lib/rectifier/config';
import { seedTrackingIdSequence } from '../lib/tracking/id-sequence';
import { createTrackingProducer } from '../lib/tracking/producer';
import { trackingConfig } from '../lib/tracking/config';
import { localRunConfig, type LocalRunConfig } from './local-run/config';
import { exerciseConsole, localConsoleNote } from './local-run/console';
import { startCrmStandIn, type CrmStandIn } from './local-run/crm-stand-in';
import { recreateDatabase } from './local-run/database';
import { crashAfterStoring, generateTraffic, seedSpecialTraffic, settleReturnedDonors } from './local-run/generator';
import { damagedState, impressionsLag, observeOrders, queueStats, tableRows, unsettledOrphans, waiting } from './local-run/observe';
import { startOffline, type Offline } from './local-run/offline';
import { startLocalProcessors, type LocalProcessors } from './local-run/processors';
import { formatSummary, lifecycleSummary, orderKeyOf, progressLine, RunTally, type RunSummary } from './local-run/summary';
import { ORPHAN_KIND_COUNT } from './local-run/traffic';
import { startStack, type Stack } from './stack';

/** Functions the run drives between schedule ticks; the others have no schedule (http, Kafka event). */
const DRIVEN_FUNCTIONS = [
  'consume-pending',
  'consume-payments-init',
  'consume-contribution-tracking',
  'load-impressions',
  'rectify-orphans',
  'consume-rectify',
  'requeue-damaged',
  'collect-dead-letters',
  'expire-pending',
];
/**
 * Driven functions that run more than one invocation at once: the consumer of a partitioned queue
 * (contribution tracking, by tracking id), whose runs share its partitions, as overlapping
 * scheduled runs or several processes would on a stage.
 */
const DRIVERS_AT_ONCE: Record<string, number> = { 'consume-contribution-tracking': 2 };
/** What the local run needs serverless.yml to define. */
const REQUIRED_FUNCTIONS = [...DRIVEN_FUNCTIONS, 'track-contribution', 'pending-orders'];
/**
 * The run's stage, through the variables a deployment would set: orphans once 2 minutes old
 * (30 by default: a run of a minute would see none), and a failed processor request retried 5 s
 * later (20 minutes by default). The run's own donor journeys stay younger than 2 minutes.
 */
const LOCAL_STAGE_SETTINGS = { RECTIFY_ORPHANS_MIN_AGE_MINUTES: '2', REQUEUE_DELAY_SECONDS: '5' };
/** Orphans reach the minimum age this long after they are pushed: the rectifier settles them during the run. */
const ORPHAN_MATURES_AFTER_SECONDS = 10;
/** Pending messages a consumer that crashes after storing them leaves for redelivery, once per run. */
const CRASHED_BATCH = 10;
/** Donors who came back, per run: half settled by queue message, half through the signed endpoint. */
const RETURNED_DONORS = 8;
/** Tables that hold rows only while a job runs: a rectifier run gives its gateway lease back. */
const EMPTY_WHEN_IDLE = new Set(['rectifier_leases']);
const STALE_AGE_DAYS_PAST_EXPIRY = 10;
const DRIVER_STOP_GRACE_MS = 3000;

// The AWS SDK (the SQS emulator's queue set-up) warns that its 2027 releases need Node 22; the
// project pins an earlier release (docs/architecture.md §8), so the warning is noise here.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const out = (text: string) => process.stdout.write(text);
const note = (text: string) => process.stderr.write(`${text}\n`);

interface Running {
  stack?: Stack;
  database?: Database;
  redis?: Redis;
  backend?: RedisQueueBackend;
  processors?: LocalProcessors;
  offline?: Offline;
  kafkaProducer?: Producer;
  kafkaAdmin?: Admin;
  crm?: CrmStandIn;
  drivers?: Drivers;
}

async function main(): Promise<number> {
  const startedAt = Date.now();
  const config = localRunConfig();
  const tally = new RunTally();
  const running: Running = {};
  const stopTraffic = new AbortController();
  const notes: string[] = [];
  const problems: string[] = [];
  let interrupted = false;

  let timedOut = false;
  const globalTimer = setTimeout(() => {
    timedOut = true;
    note(`\nlocal run: no end after LOCAL_RUN_TIMEOUT_SECONDS=${config.LOCAL_RUN_TIMEOUT_SECONDS} s; stopping`);
    stopTraffic.abort();
    // A step that hangs (a service that never answers) must not keep the run alive.
    setTimeout(() => {
      note('local run: clean-up did not finish within 30 s; exiting');
      void hardStop(running).finally(() => process.exit(1));
    }, 30_000).unref();
  }, config.LOCAL_RUN_TIMEOUT_SECONDS * 1000);
  globalTimer.unref();
  let interruptedAt = 0;
  const onSignal = () => {
    // A terminal's Ctrl-C reaches this process twice (from the terminal and relayed by tsx).
    if (interrupted && Date.now() - interruptedAt < 2000) return;
    if (interrupted) {
      note('local run: second interrupt; stopping at once');
      void hardStop(running).finally(() => process.exit(130));
      return;
    }
    interrupted = true;
    interruptedAt = Date.now();
    note('\nlocal run: interrupted; summarising and stopping (Ctrl-C again to skip)');
    stopTraffic.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  let summary: RunSummary | undefined;
  try {
    // The stack, and the run's own database and Redis database.
    running.stack = await startStack({ log: note });
    note(`local stack: ${running.stack.services.map((s) => `${s.name} (${s.private ? 'private' : 'running'})`).join(', ')}`);
    const env = runEnvironment(running.stack.env, config);
    Object.assign(process.env, env);
    await recreateDatabase(env.DATABASE_URL!);
    running.database = openDatabase(env.DATABASE_URL!, { connectionLimit: 4 });
    running.redis = new Redis(env.REDIS_URL!, { maxRetriesPerRequest: 2 });
    running.backend = new RedisQueueBackend({ redis: running.redis });
    const pending = pendingConfig();
    const tracking = trackingConfig();
    const impressions = impressionsConfig();
    const queues = { pending: pending.PENDING_QUEUE, paymentsInit: pending.PAYMENTS_INIT_QUEUE, tracking: tracking.TRACKING_QUEUE, donations: pending.DONATIONS_QUEUE };
    const queueNames = Object.values(queues);
    for (const queue of queueNames) await running.backend.purge(queue);
    await running.redis.del(tracking.TRACKING_ID_SEQUENCE_KEY);
    await seedTrackingIdSequence(running.redis, tracking.TRACKING_ID_SEQUENCE_KEY, 0);
    if (interrupted || timedOut) throw new Error('interrupted before the run started');

    // The processors' simulators and serverless-offline.
    running.processors = await startLocalProcessors();
    Object.assign(env, running.processors.env);
    Object.assign(process.env, env);
    rectifierConfig.reset();
    const offlineStarted = Date.now();
    running.offline = await startOffline({
      env: { ...process.env, ...env },
      stage: 'local',
      config: config.LOCAL_RUN_SERVERLESS_CONFIG === 'serverless.yml' ? undefined : config.LOCAL_RUN_SERVERLESS_CONFIG,
      logFile: path.resolve(__dirname, '..', config.LOCAL_RUN_OFFLINE_LOG),
      onLogRecord: (record) => tallyLogRecord(tally, record, queues),
      onScheduled: (fn, ok) => tally.invocation(fn, { ok, payload: { errorMessage: 'see the serverless-offline log' }, scheduled: true }),
    });
    note(`serverless-offline ready in ${((Date.now() - offlineStarted) / 1000).toFixed(1)} s: ${running.offline.functions.length} functions, ${Object.keys(running.offline.schedules).length} on schedules`);
    const missing = REQUIRED_FUNCTIONS.filter((fn) => !running.offline!.functions.includes(fn));
    if (missing.length > 0) problems.push(`serverless.yml defines no ${missing.join(', ')}: their part of the pipeline cannot run`);
    const hasEndpoint = running.offline.functions.includes('track-contribution');
    const hasPendingEndpoint = running.offline.functions.includes('pending-orders');
    if (running.offline.functions.includes('console')) {
      notes.push(localConsoleNote(running.offline.httpUrl, env.CONSOLE_TOKEN!, env));
      note(notes[notes.length - 1]!);
    }
    notes.push('serverless-offline has no Kafka or SQS triggers: the local stage runs the schedule variants (load-impressions, consumers on Redis)');

    // Kafka producer and admin (topics are auto-created by the first produce).
    const kafka = new Kafka({ clientId: 'local-run', brokers: impressions.KAFKA_BROKERS, logLevel: kafkaLogLevel.NOTHING });
    running.kafkaProducer = kafka.producer({ allowAutoTopicCreation: true });
    running.kafkaAdmin = kafka.admin();
    await Promise.all([running.kafkaProducer.connect(), running.kafkaAdmin.connect()]);
    const topics = { banner: impressions.IMPRESSIONS_BANNER_TOPICS[0]!.topic, landingPage: impressions.IMPRESSIONS_LANDING_PAGE_TOPICS[0]!.topic };

    const generatorDeps = {
      backend: running.backend,
      redis: running.redis,
      trackingProducer: createTrackingProducer({ backend: running.backend, redis: running.redis, queue: queues.tracking, sequenceKey: tracking.TRACKING_ID_SEQUENCE_KEY }),
      kafka: running.kafkaProducer,
      processors: running.processors,
      damagedStore: createDamagedStore(running.database.db),
      db: running.database.db,
      resolveMode: pending.PENDING_RESOLVE_MODE,
      trackingUrl: hasEndpoint ? `${running.offline.httpUrl}/contribution-tracking` : null,
      trackingSecret: env.TRACKING_HMAC_SECRET!,
      pendingBaseUrl: hasPendingEndpoint ? running.offline.httpUrl : null,
      pendingSecret: env.PENDING_HMAC_SECRET!,
      tally,
      random: Math.random,
      queues,
      topics,
      orphanAgeSeconds: Math.max(0, rectifierConfig().RECTIFY_ORPHANS_MIN_AGE_MINUTES * 60 - ORPHAN_MATURES_AFTER_SECONDS),
      staleAgeDays: pending.EXPIRE_PENDING_DAYS + STALE_AGE_DAYS_PAST_EXPIRY,
    };
    if (!hasEndpoint) notes.push('no track-contribution endpoint: first tracking events went through the TypeScript producer');

    // Traffic, with the functions driven and the CRM stand-in draining donations.
    const driven = DRIVEN_FUNCTIONS.filter((fn) => running.offline!.functions.includes(fn)).flatMap((fn) => Array.from({ length: DRIVERS_AT_ONCE[fn] ?? 1 }, () => fn));
    for (const [fn, n] of Object.entries(DRIVERS_AT_ONCE)) if (driven.includes(fn)) notes.push(`${fn}: ${n} driven invocations at once, sharing the partitions of its queue`);
    running.drivers = startDrivers(running.offline, driven, config.LOCAL_RUN_TICK_SECONDS * 1000, tally);
    running.crm = startCrmStandIn({ backend: running.backend, queue: queues.donations, tally });
    const observe = observer(running, queueNames, impressions, Object.values(topics));
    const progress = startProgress(tally, observe, queueNames, Date.now());
    const trafficStarted = Date.now();
    await seedSpecialTraffic(generatorDeps, { orphans: Math.max(ORPHAN_KIND_COUNT, config.LOCAL_RUN_RATE), stale: 5 });
    await crashAfterStoring(generatorDeps, { max: CRASHED_BATCH });
    // Handled at once: a failure while the traffic still runs must not be an unhandled rejection.
    const returned = settleReturnedDonors(generatorDeps, { count: RETURNED_DONORS, signal: stopTraffic.signal }).catch((error: Error) => {
      problems.push(`returned donors could not be settled: ${error.message}`);
    });
    await generateTraffic(generatorDeps, { seconds: config.LOCAL_RUN_SECONDS, rate: config.LOCAL_RUN_RATE, signal: stopTraffic.signal });
    await returned;
    const trafficSeconds = (Date.now() - trafficStarted) / 1000;

    // Drain: wait until nothing is left anywhere (bounded).
    const rectified = rectifiedGateways(rectifierConfig());
    const drainStarted = Date.now();
    let drainSeconds: number | null = null;
    let left: string[] = [];
    let lastDrainNote = Date.now();
    while (!stopTraffic.signal.aborted && Date.now() - drainStarted < config.LOCAL_RUN_DRAIN_SECONDS * 1000) {
      left = await whatIsLeft(observe, running, rectified, tally).catch((error: Error) => [`cannot look: ${error.message}`]);
      if (left.length === 0) {
        drainSeconds = (Date.now() - drainStarted) / 1000;
        break;
      }
      if (Date.now() - lastDrainNote >= 5000) {
        lastDrainNote = Date.now();
        note(`draining (${Math.round((Date.now() - drainStarted) / 1000)} s): ${left.join('; ')}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    if (drainSeconds === null) {
      left = await whatIsLeft(observe, running, rectified, tally);
      if (left.length > 0) problems.push(`not drained ${interrupted ? 'when interrupted' : timedOut ? 'at the global timeout' : `within LOCAL_RUN_DRAIN_SECONDS=${config.LOCAL_RUN_DRAIN_SECONDS}`}: ${left.join('; ')}`);
      else drainSeconds = (Date.now() - drainStarted) / 1000;
    }
    progress.stop();
    await running.drivers.stop();
    await running.crm.stop();

    if (running.offline.functions.includes('console')) problems.push(...(await exerciseConsole(running.offline.httpUrl, env.CONSOLE_TOKEN!)));

    // Summary.
    const stats = await queueStats(running.backend, queueNames);
    const lag = await impressionsLag(running.kafkaAdmin, running.database.pool, impressions.IMPRESSIONS_CONSUMER_GROUP, Object.values(topics));
    const damaged = await damagedState(running.database.pool);
    const tables = await tableRows(running.database.pool);
    for (const t of tables.filter((t) => t.rows === 0 && !EMPTY_WHEN_IDLE.has(t.table))) problems.push(`table ${t.table} is empty`);
    for (const [name, fn] of tally.functions) if (fn.failed > 0) problems.push(`${name}: ${fn.failed} failed invocation(s)`);
    const lifecycle = lifecycleSummary(tally, await observeOrders(running.database.pool, [...tally.orphans, ...tally.completions, ...tally.duplicates]));
    problems.push(...lifecycle.problems);
    for (const [status, n] of tally.pendingHttp) if (![200, 404].includes(status)) problems.push(`pending endpoint answered ${status} ${n} time(s)`);
    // The run sends one unsigned (401) and one invalid (400) request on purpose; all others must be queued (202).
    for (const [status, n] of tally.http) if (![202, 400, 401].includes(status) || (status !== 202 && n > 1)) problems.push(`tracking endpoint answered ${status} ${n} time(s)`);
    if (tally.crmCrashes > 0) notes.push(`the CRM stand-in crashed ${tally.crmCrashes} times on the donation it cannot import (dead-lettered, then collected into damaged)`);
    notes.push(`serverless-offline's output: ${config.LOCAL_RUN_OFFLINE_LOG}`);
    notes.push(`schedules run by serverless-offline: ${Object.entries(running.offline.schedules).map(([fn, crons]) => `${fn} [${crons.join(', ')}]`).join(', ') || 'none'}`);
    summary = {
      trafficSeconds: Math.round(trafficSeconds),
      ratePerKind: config.LOCAL_RUN_RATE,
      drainSeconds,
      totalSeconds: (Date.now() - startedAt) / 1000,
      queues: queueNames.map((queue) => ({
        queue,
        ...(queue === queues.donations ? { note: 'consumed by the CRM, outside this project; here a local CRM stand-in drains and counts it' } : {}),
        pushed: tally.pushed.get(queue) ?? 0,
        pushedByJobs: tally.pushedByJobs.get(queue) ?? 0,
        consumed: tally.consumed.get(queue) ?? { processed: 0, succeeded: 0, dropped: 0, damaged: 0, retryScheduled: 0 },
        now: stats[queue]!,
      })),
      topics: Object.values(topics).map((topic) => ({ topic, produced: tally.produced.get(topic) ?? 0, loaded: lag[topic]?.loaded ?? 0, lag: lag[topic]?.lag ?? 0 })),
      functions: [...tally.functions.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([name, fn]) => ({ name, ...fn })),
      tables,
      damagedByQueue: damaged.byQueue,
      http: Object.fromEntries([...tally.http.entries()].sort(([a], [b]) => a - b)),
      pendingHttp: Object.fromEntries([...tally.pendingHttp.entries()].sort(([a], [b]) => a - b)),
      lifecycle: lifecycle.summary,
      problems,
      notes,
    };
  } catch (error) {
    problems.push(`the run stopped early: ${(error as Error).message}`);
    if (running.offline && !(error as Error).message.includes('serverless-offline')) {
      note(`last serverless-offline output:\n${running.offline.tail().slice(-15).join('\n')}`);
    }
  } finally {
    await cleanUp(running);
    clearTimeout(globalTimer);
  }
  if (summary) {
    summary.totalSeconds = (Date.now() - startedAt) / 1000;
    out(`\n${formatSummary(summary)}\n`);
  } else {
    out(`\nLocal run FAILED after ${((Date.now() - startedAt) / 1000).toFixed(1)} s:\n${problems.map((p) => `  - ${p}`).join('\n')}\n`);
  }
  if (interrupted) return 130;
  return problems.length === 0 && !timedOut ? 0 : 1;
}

/** The environment of the run and of every handler: the stack's, pointed at the run's own stores. */
function runEnvironment(stackEnv: Record<string, string>, config: LocalRunConfig): Record<string, string> {
  const redis = new URL(stackEnv.REDIS_URL!);
  redis.pathname = `/${config.LOCAL_RUN_REDIS_DB}`;
  const database = new URL(stackEnv.DATABASE_URL!);
  database.pathname = `/${config.LOCAL_RUN_DATABASE}`;
  return {
    ...stackEnv,
    STAGE: 'local',
    QUEUE_BACKEND: 'redis',
    REDIS_URL: redis.toString(),
    DATABASE_URL: database.toString(),
    // Throwaway secrets for the tracking and pending endpoints: the run signs its requests with them.
    TRACKING_HMAC_SECRET: randomBytes(32).toString('hex'),
    PENDING_HMAC_SECRET: randomBytes(32).toString('hex'),
    ...Object.fromEntries(Object.entries(LOCAL_STAGE_SETTINGS).map(([name, value]) => [name, process.env[name] ?? value])),
    // The console's sign-in token (the summary says which file holds it).
    CONSOLE_TOKEN: process.env.CONSOLE_TOKEN ?? randomBytes(24).toString('hex'),
    LOG_LEVEL: process.env.LOG_LEVEL ?? 'info',
    // A short Kafka session, so that the impressions loader's group rebalances quickly when a
    // scheduled run joins the run's own invocation or one leaves.
    IMPRESSIONS_SESSION_TIMEOUT_MS: process.env.IMPRESSIONS_SESSION_TIMEOUT_MS ?? '6000',
  };
}

interface Drivers {
  stop(): Promise<void>;
}

/**
 * Invokes each function through the Lambda invoke endpoint, one invocation at a time per
 * function, `pauseMs` after the previous one ended, until stopped.
 */
function startDrivers(offline: Offline, functions: string[], pauseMs: number, tally: RunTally): Drivers {
  let stopped = false;
  const abandon = new AbortController();
  const wakers = new Set<() => void>();
  const loops = functions.map(async (fn) => {
    while (!stopped) {
      try {
        tally.invocationStarted(fn);
        const result = await offline.invoke(fn, { signal: abandon.signal });
        tally.invocation(fn, result);
      } catch (error) {
        if (!abandon.signal.aborted) tally.invocation(fn, { ok: false, payload: { errorType: 'InvokeError', errorMessage: (error as Error).message } });
      }
      if (stopped) break;
      await new Promise<void>((resolve) => {
        const wake = () => {
          wakers.delete(wake);
          resolve();
        };
        wakers.add(wake);
        setTimeout(wake, pauseMs);
      });
    }
  });
  return {
    async stop() {
      stopped = true;
      for (const wake of [...wakers]) wake();
      // Runs still busy after a moment (load-impressions consumes until its time limit) are
      // abandoned: stopping serverless-offline ends them, and the loader's commits are atomic.
      const grace = setTimeout(() => abandon.abort(), DRIVER_STOP_GRACE_MS);
      await Promise.all(loops);
      clearTimeout(grace);
    },
  };
}

/** Counts what the functions report in their log lines, whoever invoked them (schedule or run). */
function tallyLogRecord(tally: RunTally, record: Record<string, unknown>, queues: { donations: string }): void {
  if (record.msg === 'consumer run finished' && typeof record.queue === 'string') {
    tally.consumerRun(record.queue, record as Partial<Record<string, number>>);
  } else if (record.msg === 'requeue-damaged finished' && record.byQueue && typeof record.byQueue === 'object') {
    for (const [queue, n] of Object.entries(record.byQueue as Record<string, number>)) tally.pushByJob(queue, Number(n));
  } else if (record.msg === 'orphans rectified' && record.outcomes && typeof record.outcomes === 'object') {
    const outcomes = record.outcomes as Record<string, number>;
    if (typeof record.gateway === 'string') tally.rectifierRun(record.gateway, String(record.adapter ?? '?'), outcomes);
    tally.pushByJob(queues.donations, Number(outcomes.completed ?? 0) + Number(outcomes.approved ?? 0) + Number(outcomes.finished ?? 0));
  }
}

type Observer = ReturnType<typeof observer>;

function observer(running: Running, queues: string[], impressions: ImpressionsConfig, topics: string[]) {
  return {
    queues: () => queueStats(running.backend!, queues),
    lag: () => impressionsLag(running.kafkaAdmin!, running.database!.pool, impressions.IMPRESSIONS_CONSUMER_GROUP, topics),
    damaged: () => damagedState(running.database!.pool),
    tables: () => tableRows(running.database!.pool),
  };
}

/** What still waits somewhere; empty once everything drained. */
async function whatIsLeft(observe: Observer, running: Running, rectifiedGateways: string[], tally: RunTally): Promise<string[]> {
  const left: string[] = [];
  for (const [queue, stats] of Object.entries(await observe.queues())) {
    if (waiting(stats) > 0) left.push(`${queue}: ${stats.ready} ready, ${stats.inFlight} in flight, ${stats.delayed} delayed, ${stats.dead} dead`);
  }
  for (const [topic, { lag }] of Object.entries(await observe.lag())) if (lag > 0) left.push(`${topic}: ${lag} events not loaded`);
  const { scheduled } = await observe.damaged();
  if (scheduled > 0) left.push(`damaged: ${scheduled} rows waiting for a retry`);
  const orphans = await unsettledOrphans(running.database!.pool, rectifiedGateways, rectifierConfig().RECTIFY_ORPHANS_MIN_AGE_MINUTES);
  if (orphans > 0) left.push(`pending: ${orphans} orphans not settled`);
  // The run's own orphans, until each has ended (some are younger than the minimum age at first).
  const observed = await observeOrders(running.database!.pool, tally.orphans);
  const waitingOrphans = tally.orphans.filter((o) => (observed.get(orderKeyOf(o))?.unresolved ?? 0) > 0).length;
  if (waitingOrphans > 0) left.push(`pending: ${waitingOrphans} of the run's orphans not yet settled`);
  return left;
}

/** A live line: rewritten in place on a terminal, every 5 s otherwise. */
function startProgress(tally: RunTally, observe: Observer, queues: string[], startedAt: number) {
  const tty = process.stderr.isTTY === true;
  let busy = false;
  let ticks = 0;
  const short: Record<string, string> = { 'contribution-tracking': 'tracking', 'payments-init': 'init', 'centralnotice-impressions': 'banner', 'landingpage-impressions': 'landing' };
  const shortTable: Record<string, string> = { contribution_tracking: 'tracking', payments_initial: 'init', bannerimpressions: 'banner', landingpageimpression_raw: 'landing', pending: 'pending', damaged: 'damaged' };
  const timer = setInterval(async () => {
    ticks += 1;
    if (busy || (!tty && ticks % 5 !== 0)) return;
    busy = true;
    try {
      const [stats, tables] = await Promise.all([observe.queues(), observe.tables()]);
      const pushed: Record<string, number> = {};
      for (const queue of queues) pushed[short[queue] ?? queue] = tally.pushed.get(queue) ?? 0;
      for (const [topic, n] of tally.produced) pushed[short[topic] ?? topic] = n;
      const depths: Record<string, number> = {};
      for (const queue of queues) depths[short[queue] ?? queue] = waiting(stats[queue]!);
      const rows: Record<string, number> = {};
      for (const t of tables) if (shortTable[t.table]) rows[shortTable[t.table]!] = t.rows;
      const line = progressLine((Date.now() - startedAt) / 1000, pushed, depths, rows);
      process.stderr.write(tty ? `\r\x1b[2K${line.slice(0, (process.stderr.columns ?? 200) - 1)}` : `${line}\n`);
    } catch {
      // a progress line is not worth failing for
    } finally {
      busy = false;
    }
  }, 1000);
  return {
    stop() {
      clearInterval(timer);
      if (tty) process.stderr.write('\n');
    },
  };
}

/** Stops and closes everything this run started, last started first; never throws. */
async function cleanUp(running: Running): Promise<void> {
  const steps: Array<[string, (() => Promise<unknown>) | undefined]> = [
    ['drivers', running.drivers && (() => running.drivers!.stop())],
    ['CRM stand-in', running.crm && (() => running.crm!.stop())],
    ['kafka producer', running.kafkaProducer && (() => running.kafkaProducer!.disconnect())],
    ['kafka admin', running.kafkaAdmin && (() => running.kafkaAdmin!.disconnect())],
    ['serverless-offline', running.offline && (() => running.offline!.stop())],
    ['processor simulators', running.processors && (() => running.processors!.close())],
    ['queue backend', running.backend && (() => running.backend!.close())],
    ['redis', running.redis && (async () => running.redis!.disconnect())],
    ['database', running.database && (() => running.database!.close())],
    ['local stack', running.stack && (() => running.stack!.stop())],
  ];
  for (const [name, step] of steps) {
    if (!step) continue;
    try {
      await step();
    } catch (error) {
      note(`stopping ${name} failed: ${(error as Error).message}`);
    }
  }
}

/** The last resort: kill what runs as a process (offline, private services). */
async function hardStop(running: Running): Promise<void> {
  await Promise.allSettled([running.offline?.stop(), running.stack?.stop()]);
}

main().then(
  (code) => process.exit(code),
  (error: Error) => {
    note(`local run failed: ${error.stack ?? error.message}`);
    process.exit(1);
  },
);
