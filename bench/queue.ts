/**
 * Queue benchmark: the Redis queue backend against BullMQ 6 and against raw Redis (pipelined
 * LPUSH / RPOP, the ceiling), all measured in the same run on a private redis-server so that no
 * other data disturbs throughput or memory figures.
 *
 *   npx tsx bench/queue.ts            full run (100k messages per scenario)
 *   npx tsx bench/queue.ts --quick    quick run (< 1 min)
 *
 * Sizes via env: QUEUE_BENCH_MESSAGES (concurrent and batched scenarios), QUEUE_BENCH_SERIAL
 * (concurrency-1 scenarios), QUEUE_BENCH_MEMORY (messages queued for the memory figure),
 * QUEUE_BENCH_BATCH (batch size), QUEUE_BENCH_CONCURRENCY (the "many" concurrency, 64),
 * QUEUE_BENCH_ROUNDS (rounds of the throughput scenarios, 3; figures and ratios are medians).
 * Prints a table with ratios, PASS/MISS per target, and the figures as JSON on the last line.
 */
import { Queue, Worker } from 'bullmq';
import Redis from 'ioredis';
import { runBatchConsumer } from '../lib/consumer/run-batch-consumer';
import type { DamagedStore } from '../lib/consumer/damaged-store';
import { DEFAULT_RETRY_POLICY } from '../lib/consumer/retry-policy';
import { createLogger } from '../lib/log';
import { createQueueBackend } from '../lib/queue';
import type { QueueBackend } from '../lib/queue/types';
import { writeBenchResult } from './results';
import { startRedisServer } from '../scripts/stack/redis-server';

const quick = process.argv.includes('--quick') || process.env.QUEUE_BENCH_QUICK === '1';
const N = envInt('QUEUE_BENCH_MESSAGES', quick ? 20_000 : 100_000);
const N_SERIAL = envInt('QUEUE_BENCH_SERIAL', quick ? 2_000 : 10_000);
const N_MEMORY = envInt('QUEUE_BENCH_MEMORY', 100_000);
const N_MEMORY_BULLMQ = envInt('QUEUE_BENCH_MEMORY_BULLMQ', quick ? 20_000 : 100_000);
const BATCH = envInt('QUEUE_BENCH_BATCH', 100);
const MANY = envInt('QUEUE_BENCH_CONCURRENCY', 64);
/** Batches in flight at once in the batched scenarios (raw pipelines, pushBatch, popAtomicBatch alike). */
const BATCHES_IN_FLIGHT = 4;
const QUEUE = 'bench';
const PAYLOAD_BYTES = 200;
/** Push-to-callback latency samples per system, one push every LATENCY_GAP_MS to an idle consumer. */
const LATENCY_SAMPLES = envInt('QUEUE_BENCH_LATENCY_SAMPLES', quick ? 300 : 1000);
const LATENCY_GAP_MS = 3;
/** Rounds of the throughput and latency scenarios; figures and ratios are their medians. */
const ROUNDS = envInt('QUEUE_BENCH_ROUNDS', quick ? 1 : 3);

function envInt(name: string, fallback: number): number {
  const value = process.env[name];
  return value ? Number.parseInt(value, 10) : fallback;
}

/** A donation-like message whose JSON is exactly PAYLOAD_BYTES long (before the queue's source fields). */
function message(i: number): Record<string, unknown> {
  const base = { order_id: `${1000000 + i}.1`, gateway: 'adyen', currency: 'EUR', gross: '15.00', pad: '' };
  const padding = PAYLOAD_BYTES - JSON.stringify(base).length;
  return { ...base, pad: 'x'.repeat(padding) };
}
const RAW_BODY = JSON.stringify(message(0));

interface Row {
  scenario: string;
  ours: number;
  baselineName: string;
  baseline: number | null;
}
const rows: Row[] = [];
const targets: { name: string; value: number; goal: string; pass: boolean }[] = [];
const figures: Record<string, number | null> = {};

async function main(): Promise<void> {
  // No slow log: it keeps the arguments of slow calls (big batches), which would blur the memory figures.
  const server = await startRedisServer({ args: ['--maxmemory-policy', 'noeviction', '--slowlog-max-len', '0'] });
  const admin = new Redis(server.url);
  const client = new Redis(server.url);
  const backend = createQueueBackend({ backend: 'redis', redis: { redis: client, defaults: { visibilityTimeoutSeconds: 60 } } });
  const started = Date.now();
  console.log(`queue bench: ${quick ? 'quick' : 'full'} run, ${N} messages (${N_SERIAL} at concurrency 1), batch ${BATCH}, concurrency ${MANY}, redis ${server.url}`);
  try {
    await admin.config('SET', 'save', '');
    // Rounds of every scenario, ours and the baselines together: a figure is the median of its
    // rounds, a ratio the median of the rounds' ratios, so that a slow phase of a shared machine
    // during one measurement does not decide a target.
    const rounds: Round[] = [];
    for (let r = 0; r < ROUNDS; r += 1) {
      rounds.push(await throughputRound(client, admin, backend, server.url));
      await admin.flushall();
    }
    const m = (key: keyof Round) => median(rounds.map((round) => round[key]));
    const ratio = (ours: keyof Round, baseline: keyof Round) => median(rounds.map((round) => round[ours] / round[baseline]));
    const rawPush1 = m('rawPush1');
    const rawPushMany = m('rawPushMany');
    const rawPushPipelined = m('rawPushPipelined');
    const rawPop1 = m('rawPop1');
    const rawPopMany = m('rawPopMany');
    const rawPopPipelined = m('rawPopPipelined');
    const push1 = m('push1');
    const pushMany = m('pushMany');
    const pushBatched = m('pushBatched');
    const popBatched = m('popBatched');
    const popMany = m('popMany');
    const pop1 = m('pop1');
    const leasePiggyback = m('leasePiggyback');
    const production = m('production');
    const latency = {
      ours: { p50: m('latencyP50Ms'), p99: m('latencyP99Ms'), max: m('latencyMaxMs') },
      bull: { p50: m('bullLatencyP50Ms'), p99: m('bullLatencyP99Ms'), max: m('bullLatencyMaxMs') },
    };
    const bull = { add1: m('bullAdd1'), addMany: m('bullAddMany'), addBulk: m('bullAddBulk'), work1: m('bullWork1'), workMany: m('bullWorkMany') };

    rows.push(
      { scenario: 'push, concurrency 1', ours: push1, baselineName: 'BullMQ add', baseline: bull.add1 },
      { scenario: 'push, concurrency 1', ours: push1, baselineName: 'raw LPUSH', baseline: rawPush1 },
      { scenario: `push, concurrency ${MANY}`, ours: pushMany, baselineName: 'BullMQ add', baseline: bull.addMany },
      { scenario: `push, concurrency ${MANY}`, ours: pushMany, baselineName: 'raw LPUSH', baseline: rawPushMany },
      { scenario: `pushBatch ${BATCH} ×${BATCHES_IN_FLIGHT}`, ours: pushBatched, baselineName: 'BullMQ addBulk', baseline: bull.addBulk },
      { scenario: `pushBatch ${BATCH} ×${BATCHES_IN_FLIGHT}`, ours: pushBatched, baselineName: 'raw pipelined LPUSH', baseline: rawPushPipelined },
      { scenario: 'popAtomic, concurrency 1', ours: pop1, baselineName: 'BullMQ Worker c1', baseline: bull.work1 },
      { scenario: 'popAtomic, concurrency 1', ours: pop1, baselineName: 'raw RPOP', baseline: rawPop1 },
      { scenario: `popAtomic, concurrency ${MANY}`, ours: popMany, baselineName: `BullMQ Worker c${MANY}`, baseline: bull.workMany },
      { scenario: `popAtomic, concurrency ${MANY}`, ours: popMany, baselineName: 'raw RPOP', baseline: rawPopMany },
      { scenario: `popAtomicBatch ${BATCH} ×${BATCHES_IN_FLIGHT}`, ours: popBatched, baselineName: 'raw pipelined RPOP', baseline: rawPopPipelined },
      { scenario: `lease ${BATCH}+piggyback ack ×${BATCHES_IN_FLIGHT}`, ours: leasePiggyback, baselineName: 'raw pipelined RPOP', baseline: rawPopPipelined },
      { scenario: `consumer runner (production path), batch ${BATCH} ×${BATCHES_IN_FLIGHT}`, ours: production, baselineName: 'raw pipelined RPOP', baseline: rawPopPipelined },
    );
    Object.assign(figures, {
      push1, pushMany, pushBatched, pop1, popMany, popBatched, leasePiggyback, production,
      latencyP50Ms: latency.ours.p50, latencyP99Ms: latency.ours.p99, bullLatencyP50Ms: latency.bull.p50, bullLatencyP99Ms: latency.bull.p99,
      rounds: ROUNDS,
      rawPush1, rawPushMany, rawPushPipelined, rawPop1, rawPopMany, rawPopPipelined,
      bullAdd1: bull.add1, bullAddMany: bull.addMany, bullAddBulk: bull.addBulk, bullWork1: bull.work1, bullWorkMany: bull.workMany,
    });
    printThroughput();
    console.log('\nPush to the start of the callback of an idle waiting consumer (ms)');
    printTable(
      ['system', 'p50', 'p99', 'max', 'samples'],
      [
        ['ours (popAtomic + waitForMessage)', fmt(latency.ours.p50, 3), fmt(latency.ours.p99, 3), fmt(latency.ours.max, 3), String(LATENCY_SAMPLES)],
        ['BullMQ Worker c1', fmt(latency.bull.p50, 3), fmt(latency.bull.p99, 3), fmt(latency.bull.max, 3), String(LATENCY_SAMPLES)],
      ],
    );

    target('consumer runner (production path) vs raw pipelined RPOP', ratio('production', 'rawPopPipelined'), '≥ 50%', (v) => v >= 0.5, '%');
    target('popAtomic c64 vs BullMQ Worker c64', ratio('popMany', 'bullWorkMany'), '≥ 3×', (v) => v >= 3, 'x');
    target('popAtomic c1 vs BullMQ Worker c1', ratio('pop1', 'bullWork1'), '≥ 1.5×', (v) => v >= 1.5, 'x');
    target(`push c${MANY} vs BullMQ add c${MANY}`, ratio('pushMany', 'bullAddMany'), '≥ 3×', (v) => v >= 3, 'x');
    target('p99 push to callback, idle waiting consumer (ms)', latency.ours.p99, '≤ 2 ms', (v) => v <= 2, 'n2');
    target('popAtomicBatch vs raw pipelined RPOP', ratio('popBatched', 'rawPopPipelined'), '≥ 40%', (v) => v >= 0.4, '%');
    target('pushBatch throughput (msg/s)', pushBatched, '≥ 50,000', (v) => v >= 50_000, 'n');

    // ---------------------------------------------------------------- round trips
    const trips = await roundTrips(backend, admin, server.url);
    console.log('\nRound trips (commands clients sent, per message, counted on the server with MONITOR)');
    printTable(
      ['operation', 'commands/msg', 'script calls/msg', 'commands inside scripts/msg', 'client commands'],
      trips.map((t) => [t.name, fmt(t.perMessage, 2), fmt(t.scriptsPerMessage, 2), fmt(t.innerPerMessage, 2), t.detail]),
    );
    const tripOf = (name: string) => trips.find((t) => t.name === name)!.perMessage;
    target('commands per push', tripOf('push'), '= 1', (v) => v <= 1.0001, 'n2');
    target('commands per popAtomic message (sequential, prefetch with each ack)', tripOf('popAtomic'), '≤ 2', (v) => v <= 2.0001, 'n2');
    target('commands per message, lease max 1 + piggyback ack', tripOf('lease(max 1, ack previous)'), '≤ 1 (steady state)', (v) => v <= 1.01, 'n2');
    for (const t of trips) figures[`commandsPerMessage:${t.name}`] = round(t.perMessage, 3);

    // ---------------------------------------------------------------- memory
    const memory = await memoryFigures(backend, admin, server.url);
    console.log('\nMemory (Redis used_memory)');
    printTable(
      ['what', 'bytes/message', 'stored body bytes', 'overhead/message'],
      [
        [`ours, ${N_MEMORY} waiting`, fmt(memory.oursPerMessage, 0), fmt(memory.storedBody, 0), fmt(memory.oursPerMessage - memory.storedBody, 0)],
        [`BullMQ, ${N_MEMORY_BULLMQ} waiting jobs`, fmt(memory.bullPerJob, 0), fmt(PAYLOAD_BYTES, 0), fmt(memory.bullPerJob - PAYLOAD_BYTES, 0)],
        ['ours after all acked, vs baseline', fmt(memory.oursResidual, 0) + ' bytes total', '', ''],
      ],
    );
    console.log(`(stored body = the ${PAYLOAD_BYTES}-byte message plus the legacy source_* fields the queue adds)`);
    target('memory overhead per waiting message beyond its stored body (bytes)', memory.oursPerMessage - memory.storedBody, '≤ 100', (v) => v <= 100, 'n');
    target('memory back to baseline after acking all (bytes left)', memory.oursResidual, '≤ 64 KiB', (v) => v <= 65_536, 'n');
    Object.assign(figures, {
      memoryPerMessage: round(memory.oursPerMessage, 1),
      memoryStoredBody: memory.storedBody,
      memoryResidualBytes: memory.oursResidual,
      bullMemoryPerJob: round(memory.bullPerJob, 1),
    });

    console.log('\nTargets');
    printTable(['target', 'measured', 'goal', ''], targets.map((t) => [t.name, formatTarget(t.value, t.name), t.goal, t.pass ? 'PASS' : 'MISS']));
    console.log(`\n(${((Date.now() - started) / 1000).toFixed(1)} s)`);
    const result = { bench: 'queue', quick, messages: N, serial: N_SERIAL, batch: BATCH, concurrency: MANY, figures, rows, targets: targets.map(({ name, value, goal, pass }) => ({ name, value: round(value, 3), display: formatTarget(value, name), goal, pass })) };
    if (!quick) writeBenchResult('queue', result);
    console.log(JSON.stringify(result));
  } finally {
    await backend.close().catch(() => undefined);
    client.disconnect();
    admin.disconnect();
    await server.stop();
  }
}

// ------------------------------------------------------------------ rounds

/** One round of every throughput and latency scenario, ours and the baselines, back to back. */
async function throughputRound(client: Redis, admin: Redis, backend: QueueBackend, url: string) {
  // ---------------------------------------------------------------- push
  const rawPush1 = await timed(N_SERIAL, async () => {
    for (let i = 0; i < N_SERIAL; i += 1) await client.lpush('raw', RAW_BODY);
  });
  await admin.flushall();
  const rawPushMany = await timed(N, () => concurrently(MANY, N, () => client.lpush('raw', RAW_BODY).then(() => undefined)));
  await admin.flushall();
  const rawPushPipelined = await timed(N, () =>
    inBatches(N, async (count) => {
      const pipeline = client.pipeline();
      for (let i = 0; i < count; i += 1) pipeline.lpush('raw', RAW_BODY);
      await pipeline.exec();
    }),
  );
  // raw pops read what the pipelined push left (N messages)
  const rawPopPipelined = await timed(N, () =>
    inBatches(N, async (count) => {
      const pipeline = client.pipeline();
      for (let i = 0; i < count; i += 1) pipeline.rpop('raw');
      await pipeline.exec();
    }),
  );
  await fillRaw(client, N);
  const rawPopMany = await timed(N, () => concurrently(MANY, N, () => client.rpop('raw').then(() => undefined)));
  await fillRaw(client, N_SERIAL);
  const rawPop1 = await timed(N_SERIAL, async () => {
    for (let i = 0; i < N_SERIAL; i += 1) await client.rpop('raw');
  });
  await admin.flushall();

  const push1 = await timed(N_SERIAL, async () => {
    for (let i = 0; i < N_SERIAL; i += 1) await backend.push(QUEUE, message(i));
  });
  const pushMany = await timed(N, () => concurrently(MANY, N, (i) => backend.push(QUEUE, message(i))));
  await backend.purge(QUEUE);
  const pushBatched = await timed(N, () => inBatches(N, (count, offset) => backend.pushBatch(QUEUE, range(count, offset).map(message))));
  // ---------------------------------------------------------------- pop (reads the N batched pushes)
  const popBatched = await timed(N, () => drainBatches(backend));
  await inBatches(N, (count, offset) => backend.pushBatch(QUEUE, range(count, offset).map(message)));
  const popMany = await timed(N, () => drainConcurrently(backend, MANY));
  await inBatches(N_SERIAL, (count, offset) => backend.pushBatch(QUEUE, range(count, offset).map(message)));
  const pop1 = await timed(N_SERIAL, () => drainConcurrently(backend, 1));
  await inBatches(N, (count, offset) => backend.pushBatch(QUEUE, range(count, offset).map(message)));
  const leasePiggyback = await timed(N, () => drainLeasing(backend, BATCHES_IN_FLIGHT, BATCH));
  await inBatches(N, (count, offset) => backend.pushBatch(QUEUE, range(count, offset).map(message)));
  const production = await timed(N, () => drainWithRunners(backend, BATCHES_IN_FLIGHT, BATCH));
  await admin.flushall();
  const latency = await latencyFigures(url);
  await admin.flushall();

  // ---------------------------------------------------------------- BullMQ
  const bull = await bullmqFigures(url, admin);
  return {
    rawPush1, rawPushMany, rawPushPipelined, rawPop1, rawPopMany, rawPopPipelined,
    push1, pushMany, pushBatched, popBatched, popMany, pop1, leasePiggyback, production,
    latencyP50Ms: latency.ours.p50, latencyP99Ms: latency.ours.p99, latencyMaxMs: latency.ours.max,
    bullLatencyP50Ms: latency.bull.p50, bullLatencyP99Ms: latency.bull.p99, bullLatencyMaxMs: latency.bull.max,
    bullAdd1: bull.add1, bullAddMany: bull.addMany, bullAddBulk: bull.addBulk, bullWork1: bull.work1, bullWorkMany: bull.workMany,
  };
}

type Round = Awaited<ReturnType<typeof throughputRound>>;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

// ------------------------------------------------------------------ scenarios

async function drainConcurrently(backend: QueueBackend, workers: number): Promise<void> {
  await Promise.all(
    Array.from({ length: workers }, async () => {
      for (;;) {
        const result = await backend.popAtomic(QUEUE, async () => undefined);
        if (result.status === 'empty') return;
      }
    }),
  );
}

async function drainBatches(backend: QueueBackend): Promise<void> {
  await Promise.all(
    Array.from({ length: BATCHES_IN_FLIGHT }, async () => {
      for (;;) {
        const result = await backend.popAtomicBatch(QUEUE, BATCH, async () => ({ failedIds: [] }));
        if (result.leased === 0) return;
      }
    }),
  );
}

/** The steady-state consumer loop: each lease call acks the previous batch. */
async function drainLeasing(backend: QueueBackend, workers: number, max: number): Promise<void> {
  await Promise.all(
    Array.from({ length: workers }, async () => {
      let ack: string[] = [];
      for (;;) {
        const deliveries = await backend.lease(QUEUE, { max, ack });
        if (deliveries.length === 0) return;
        ack = deliveries.map((d) => d.receipt);
      }
    }),
  );
}

/** The production path: consumer runners (lib/consumer) with a no-op batch handler, as a scheduled consumer runs. */
async function drainWithRunners(backend: QueueBackend, runners: number, batchSize: number): Promise<void> {
  const damagedStore: DamagedStore = {
    insert: async () => { throw new Error('no message fails in the benchmark'); },
    listDueForRetry: async () => [],
    clearRetryDate: async () => undefined,
    deleteByIds: async () => 0,
    reachable: async () => true,
  } as unknown as DamagedStore;
  // warnings only: a run-finished line per runner would interleave with the tables
  const logger = createLogger({ component: 'bench' }, { level: 'warn' });
  await Promise.all(
    Array.from({ length: runners }, () =>
      runBatchConsumer({ backend, queue: QUEUE, batchSize, damagedStore, retryPolicy: DEFAULT_RETRY_POLICY, logger, handleBatch: async () => undefined }),
    ),
  );
}

interface Percentiles {
  p50: number;
  p99: number;
  max: number;
}

function percentiles(samples: number[]): Percentiles {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!;
  return { p50: at(0.5), p99: at(0.99), max: sorted[sorted.length - 1]! };
}

/**
 * Push to the start of the callback of a consumer that was idle (waiting), ours and BullMQ's:
 * one producer connection pushes a timestamped message every LATENCY_GAP_MS; the consumer (its
 * own connection) records how long after the push its callback started.
 */
async function latencyFigures(url: string): Promise<{ ours: Percentiles; bull: Percentiles }> {
  const producer = createQueueBackend({ backend: 'redis', redis: { url } });
  const consumer = createQueueBackend({ backend: 'redis', redis: { url } });
  const ours: number[] = [];
  let stop = false;
  const loop = (async () => {
    while (!stop) {
      const result = await consumer.popAtomic('latency', async (body) => {
        ours.push(Number(process.hrtime.bigint() - BigInt(body.t as string)) / 1e6);
      });
      if (result.status === 'empty' && !stop) await consumer.waitForMessage('latency', 200);
    }
  })();
  await sleep(100);
  for (let i = 0; i < LATENCY_SAMPLES; i += 1) {
    await producer.push('latency', { t: process.hrtime.bigint().toString() });
    await sleep(LATENCY_GAP_MS);
  }
  while (ours.length < LATENCY_SAMPLES) await sleep(10);
  stop = true;
  await loop;
  await producer.close();
  await consumer.close();

  const connection = { host: new URL(url).hostname, port: Number(new URL(url).port), maxRetriesPerRequest: null };
  const queue = new Queue('latency', { connection });
  const bull: number[] = [];
  const worker = new Worker(
    'latency',
    async (job) => {
      bull.push(Number(process.hrtime.bigint() - BigInt(job.data.t as string)) / 1e6);
    },
    { connection, concurrency: 1 },
  );
  await worker.waitUntilReady();
  await sleep(200);
  for (let i = 0; i < LATENCY_SAMPLES; i += 1) {
    await queue.add('m', { t: process.hrtime.bigint().toString() }, { removeOnComplete: true });
    await sleep(LATENCY_GAP_MS);
  }
  while (bull.length < LATENCY_SAMPLES) await sleep(10);
  await worker.close();
  await queue.obliterate({ force: true });
  await queue.close();
  return { ours: percentiles(ours), bull: percentiles(bull) };
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

async function bullmqFigures(url: string, admin: Redis) {
  const connection = { host: new URL(url).hostname, port: Number(new URL(url).port), maxRetriesPerRequest: null };
  const queue = new Queue('bench', { connection });
  const jobOptions = { removeOnComplete: true, removeOnFail: true };
  try {
    await queue.waitUntilReady();
    const add1 = await timed(N_SERIAL, async () => {
      for (let i = 0; i < N_SERIAL; i += 1) await queue.add('m', message(i), jobOptions);
    });
    const work1 = await timed(N_SERIAL, () => runWorker(connection, 1, N_SERIAL));
    const addMany = await timed(N, () => concurrently(MANY, N, (i) => queue.add('m', message(i), jobOptions).then(() => undefined)));
    const workMany = await timed(N, () => runWorker(connection, MANY, N));
    const addBulk = await timed(N, () =>
      inBatches(N, (count, offset) => queue.addBulk(range(count, offset).map((i) => ({ name: 'm', data: message(i), opts: jobOptions }))).then(() => undefined)),
    );
    await queue.obliterate({ force: true });
    await admin.flushall();
    return { add1, work1, addMany, workMany, addBulk };
  } finally {
    await queue.close();
  }
}

/** Time for a Worker with a no-op processor to complete `jobs` waiting jobs. */
async function runWorker(connection: object, concurrency: number, jobs: number, name = 'bench'): Promise<void> {
  let completed = 0;
  let done!: () => void;
  const finished = new Promise<void>((resolve) => (done = resolve));
  const worker = new Worker(name, async () => undefined, { connection, concurrency, autorun: false });
  worker.on('completed', () => {
    completed += 1;
    if (completed === jobs) done();
  });
  void worker.run();
  await finished;
  await worker.close();
}

interface Trip {
  name: string;
  /** Commands clients sent (what costs a round trip), per message. */
  perMessage: number;
  /** Of those, script calls (EVALSHA / EVAL). */
  scriptsPerMessage: number;
  /** Commands run inside scripts, per message (the Lua's work, not round trips). */
  innerPerMessage: number;
  detail: string;
}

/**
 * Counts, on the server, the commands clients send per message: MONITOR reports each command
 * with its source, and commands that scripts run report the source "lua", so they are told
 * apart from round trips. The admin connection's own commands are left out.
 */
async function roundTrips(backend: QueueBackend, admin: Redis, url: string): Promise<Trip[]> {
  const count = 1000;
  const trips: Trip[] = [];
  const adminAddress = String(await admin.call('CLIENT', 'INFO')).match(/addr=(\S+)/)![1]!;
  // monitor() opens a connection of its own: the base client never connects (lazyConnect).
  const monitor = await new Redis(url, { lazyConnect: true }).monitor();
  let seen: { args: string[]; source: string }[] = [];
  let marker: ((args: string[]) => void) | undefined;
  monitor.on('monitor', (_time: string, args: string[], source: string) => {
    if (source === adminAddress) {
      marker?.(args);
      return;
    }
    seen.push({ args, source });
  });
  /** Resolves once MONITOR has delivered everything up to now (an ECHO from the admin connection). */
  const flush = async () => {
    const token = `mark-${Math.random()}`;
    const arrived = new Promise<void>((resolve) => {
      marker = (args) => {
        if (args[0]?.toLowerCase() === 'echo' && args[1] === token) resolve();
      };
    });
    await admin.echo(token);
    await arrived;
  };
  const measure = async (name: string, messages: number, act: () => Promise<void>) => {
    await flush();
    seen = [];
    await act();
    await flush();
    const outer = seen.filter((c) => c.source !== 'lua');
    const inner = seen.length - outer.length;
    const byCommand = new Map<string, number>();
    for (const c of outer) byCommand.set(c.args[0]!.toLowerCase(), (byCommand.get(c.args[0]!.toLowerCase()) ?? 0) + 1);
    const scripts = ['evalsha', 'eval', 'evalsha_ro', 'eval_ro', 'fcall'].reduce((a, c) => a + (byCommand.get(c) ?? 0), 0);
    trips.push({
      name,
      perMessage: outer.length / messages,
      scriptsPerMessage: scripts / messages,
      innerPerMessage: inner / messages,
      detail: [...byCommand].map(([c, n]) => `${c} ${fmt(n / messages, 2)}`).join(', '),
    });
  };
  try {
    await backend.purge(QUEUE);
    await measure('push', count, async () => {
      for (let i = 0; i < count; i += 1) await backend.push(QUEUE, message(i));
    });
    await measure('popAtomic', count, async () => {
      for (let i = 0; i < count; i += 1) await backend.popAtomic(QUEUE, async () => undefined);
    });
    await backend.pushBatch(QUEUE, range(count).map(message));
    let unacked: string[] = [];
    await measure('lease(max 1, ack previous)', count, async () => {
      for (let i = 0; i < count; i += 1) {
        const deliveries = await backend.lease(QUEUE, { max: 1, ack: unacked });
        unacked = deliveries.map((d) => d.receipt);
      }
    });
    // in a real loop the last ack rides on the next lease call
    await backend.ackBatch(QUEUE, unacked);
    await measure(`pushBatch ${BATCH}`, count, () => inBatches(count, (n, offset) => backend.pushBatch(QUEUE, range(n, offset).map(message)), 1));
    await measure(`popAtomicBatch ${BATCH}`, count, async () => {
      for (let b = 0; b < count / BATCH; b += 1) await backend.popAtomicBatch(QUEUE, BATCH, async () => ({ failedIds: [] }));
    });
    await backend.purge(QUEUE);

    // BullMQ for comparison: the same counts per job added and per job a Worker (concurrency 1) completes
    const connection = { host: new URL(url).hostname, port: Number(new URL(url).port), maxRetriesPerRequest: null };
    const queue = new Queue('bench-trips', { connection });
    await queue.waitUntilReady();
    const jobs = 200;
    await measure('BullMQ Queue.add', jobs, async () => {
      for (let i = 0; i < jobs; i += 1) await queue.add('m', message(i), { removeOnComplete: true });
    });
    await measure('BullMQ Worker (c1), per job', jobs, () => runWorker(connection, 1, jobs, 'bench-trips'));
    await queue.obliterate({ force: true });
    await queue.close();
  } finally {
    monitor.disconnect();
  }
  return trips;
}

async function memoryFigures(backend: QueueBackend, admin: Redis, url: string) {
  await admin.flushall();
  // The queue's id counter survives acks by design: create it before the baseline.
  await backend.push(QUEUE, message(0));
  let storedBody = 0;
  await backend.popAtomic(QUEUE, async (_body, delivery) => {
    storedBody = Buffer.byteLength(delivery.body);
  });
  // A smaller cycle first: buffers that Redis grows once and keeps (client and script reply
  // buffers) are then part of the baseline, so what remains afterwards is what messages left.
  await inBatches(N_MEMORY / 10, (count, offset) => backend.pushBatch(QUEUE, range(count, offset).map(message)), 1, 1000);
  await drainBatches(backend);
  const baseline = await usedMemory(admin);
  await inBatches(N_MEMORY, (count, offset) => backend.pushBatch(QUEUE, range(count, offset).map(message)), 1, 1000);
  const full = await usedMemory(admin);
  await drainBatches(backend);
  const stats = await backend.stats(QUEUE);
  if (stats.ready + stats.inFlight + stats.delayed !== 0) throw new Error(`queue not drained: ${JSON.stringify(stats)}`);
  const after = await usedMemory(admin);

  await admin.flushall();
  const connection = { host: new URL(url).hostname, port: Number(new URL(url).port), maxRetriesPerRequest: null };
  const queue = new Queue('bench-memory', { connection });
  await queue.waitUntilReady();
  await queue.add('m', message(0));
  const bullBaseline = await usedMemory(admin);
  await inBatches(N_MEMORY_BULLMQ, (count, offset) => queue.addBulk(range(count, offset).map((i) => ({ name: 'm', data: message(i) }))).then(() => undefined), 1, 1000);
  const bullFull = await usedMemory(admin);
  await queue.obliterate({ force: true });
  await queue.close();
  await admin.flushall();
  return {
    oursPerMessage: (full - baseline) / N_MEMORY,
    storedBody,
    oursResidual: after - baseline,
    bullPerJob: (bullFull - bullBaseline) / N_MEMORY_BULLMQ,
  };
}

// ------------------------------------------------------------------ helpers

async function usedMemory(admin: Redis): Promise<number> {
  const info = await admin.info('memory');
  return Number(/used_memory:(\d+)/.exec(info)![1]);
}

async function fillRaw(client: Redis, count: number): Promise<void> {
  await inBatches(count, async (n) => {
    const pipeline = client.pipeline();
    for (let i = 0; i < n; i += 1) pipeline.lpush('raw', RAW_BODY);
    await pipeline.exec();
  }, BATCHES_IN_FLIGHT, 1000);
}

/** Runs `act(i)` for i in [0, total) with `workers` calls in flight at once. */
async function concurrently(workers: number, total: number, act: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: workers }, async () => {
      while (next < total) {
        const i = next;
        next += 1;
        await act(i);
      }
    }),
  );
}

/** Splits [0, total) into batches of `size` and runs them with `inFlight` batches at once. */
async function inBatches(total: number, act: (count: number, offset: number) => Promise<unknown>, inFlight = BATCHES_IN_FLIGHT, size = BATCH): Promise<void> {
  const batches = Math.ceil(total / size);
  await concurrently(inFlight, batches, async (b) => {
    const offset = b * size;
    await act(Math.min(size, total - offset), offset);
  });
}

function range(count: number, offset = 0): number[] {
  return Array.from({ length: count }, (_, i) => offset + i);
}

/** Messages per second for `count` messages handled by `act`. */
async function timed(count: number, act: () => Promise<unknown>): Promise<number> {
  const start = process.hrtime.bigint();
  await act();
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  return count / seconds;
}

function target(name: string, value: number, goal: string, check: (v: number) => boolean, kind: 'x' | '%' | 'n' | 'n2'): void {
  targets.push({ name, value, goal, pass: check(value) });
  kinds.set(name, kind);
}
const kinds = new Map<string, 'x' | '%' | 'n' | 'n2'>();

function formatTarget(value: number, name: string): string {
  const kind = kinds.get(name);
  if (kind === 'x') return `${value.toFixed(2)}×`;
  if (kind === '%') return `${(value * 100).toFixed(0)}%`;
  if (kind === 'n2') return value.toFixed(2);
  return fmt(value, 0);
}

function printThroughput(): void {
  console.log('\nThroughput (messages/s)');
  printTable(
    ['scenario', 'ours', 'baseline', 'baseline msg/s', 'ours/baseline'],
    rows.map((r) => [r.scenario, fmt(r.ours, 0), r.baselineName, r.baseline === null ? '-' : fmt(r.baseline, 0), r.baseline ? `${(r.ours / r.baseline).toFixed(2)}×` : '-']),
  );
}

function printTable(header: string[], body: string[][]): void {
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  console.log(line(header));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const r of body) console.log(line(r));
}

function fmt(value: number, digits: number): string {
  return value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

function round(value: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
