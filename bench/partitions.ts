/**
 * Partitions benchmark (docs/queue.md, Partitions): one partitioned queue (32 partitions, 2,000
 * keys) consumed by 1, 2, 4 and 8 consumer PROCESSES, each running 1 handler at a time that waits
 * 1 ms (a simulated database); beside it, in the same run, the unpartitioned queue and BullMQ 6
 * with the same processes and concurrency. The figure that matters is how the partitioned queue
 * scales (target: 4 consumers ≥ 3.5× one) while keeping each key in order. Then the rebalance time:
 * 4 consumers at work, one SIGKILLed, the time until every partition has a live owner again
 * (target ≤ lease + 1 s).
 *
 *   npm run bench partitions              8,000 messages per scenario
 *   npx tsx bench/partitions.ts --quick   2,000
 *
 * Sizes via env: PARTITIONS_BENCH_MESSAGES. Each consumer is bench/workers/partitions-consumer.ts.
 * On a machine with fewer cores than consumers the processes share cores: the figures say so.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { cpus } from 'node:os';
import path from 'node:path';
import { Queue } from 'bullmq';
import Redis from 'ioredis';
import { createQueueBackend } from '../lib/queue';
import { PartitionedQueue, partitionStatus, type PartitionSpec } from '../lib/queue/partitions';
import type { QueueBackend } from '../lib/queue/types';
import { startRedisServer } from '../scripts/stack/redis-server';

const quick = process.argv.includes('--quick');
const N = Number.parseInt(process.env.PARTITIONS_BENCH_MESSAGES ?? '', 10) || (quick ? 2_000 : 8_000);
const PARTITIONS = 32;
const KEYS = 2_000;
const HANDLER_MS = 1;
const CONCURRENCY = 1;
const LEASE_MS = 1_500;
const COUNTS = [1, 2, 4, 8];
const WORKER = path.join(__dirname, 'workers', 'partitions-consumer.ts');
type Mode = 'partitioned' | 'plain' | 'bullmq';

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function startWorker(url: string, mode: Mode, queue: string, doneKey: string, consumerId: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', WORKER], {
    env: {
      ...process.env,
      REDIS_URL: url,
      MODE: mode,
      QUEUE: queue,
      PARTITIONS: String(PARTITIONS),
      CONCURRENCY: String(CONCURRENCY),
      HANDLER_MS: String(HANDLER_MS),
      DONE_KEY: doneKey,
      LEASE_MS: String(LEASE_MS),
      CONSUMER_ID: consumerId,
      LOG_LEVEL: 'error',
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    child.stdout!.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes('ready')) resolve(child);
    });
    child.once('exit', (code) => reject(new Error(`${mode} consumer exited with ${code}`)));
  });
}

function messages(): { order_id: string; n: number }[] {
  return Array.from({ length: N }, (_, i) => ({ order_id: `order-${i % KEYS}`, n: Math.floor(i / KEYS) }));
}

/** Messages recorded out of their key's push order (a later n before an earlier one). */
async function outOfOrder(client: Redis, doneKey: string): Promise<number> {
  const last = new Map<string, number>();
  let count = 0;
  for (const entry of await client.lrange(doneKey, 0, -1)) {
    const [key, n] = entry.split(':') as [string, string];
    if (Number(n) < (last.get(key) ?? -1)) count += 1;
    last.set(key, Math.max(Number(n), last.get(key) ?? -1));
  }
  return count;
}

/**
 * Messages per second of `consumers` processes draining N messages pushed before they start, and
 * how many were processed out of their key's order.
 */
async function throughput(url: string, client: Redis, backend: QueueBackend, mode: Mode, consumers: number, round: string): Promise<{ perSecond: number; outOfOrder: number }> {
  const queue = `bench-${mode}-${consumers}-${round}`;
  const doneKey = `${queue}:done`;
  let bull: Queue | undefined;
  if (mode === 'partitioned') await new PartitionedQueue(backend, { queue, partitions: PARTITIONS, partitionKey: 'order_id' }).pushBatch(messages());
  else if (mode === 'plain') await backend.pushBatch(queue, messages());
  else {
    bull = new Queue(queue, { connection: { url } });
    const all = messages();
    for (let i = 0; i < all.length; i += 1000) await bull.addBulk(all.slice(i, i + 1000).map((data) => ({ name: 'm', data, opts: { removeOnComplete: true } })));
  }
  const children = await Promise.all(Array.from({ length: consumers }, (_, c) => startWorker(url, mode, queue, doneKey, `c${c}`)));
  // Measured from the moment every consumer is ready: process start-up is not consumption.
  const ready = process.hrtime.bigint();
  const doneAtReady = await client.llen(doneKey);
  while ((await client.llen(doneKey)) < N) await sleep(5);
  const seconds = Number(process.hrtime.bigint() - ready) / 1e9;
  for (const child of children) child.kill('SIGKILL');
  await bull?.obliterate({ force: true });
  await bull?.close();
  const result = { perSecond: (N - doneAtReady) / seconds, outOfOrder: await outOfOrder(client, doneKey) };
  await client.del(doneKey);
  return result;
}

/** ms from a SIGKILL of one of 4 consumers until every partition has a live owner other than it. */
async function rebalanceMs(url: string, client: Redis, backend: QueueBackend): Promise<number> {
  const spec: PartitionSpec = { queue: 'bench-rebalance', partitions: PARTITIONS, partitionKey: 'order_id' };
  await new PartitionedQueue(backend, spec).pushBatch(Array.from({ length: 200_000 }, (_, i) => ({ order_id: `order-${i % KEYS}`, n: i })));
  const children = await Promise.all(['a', 'b', 'c', 'd'].map((id) => startWorker(url, 'partitioned', spec.queue, `${spec.queue}:done`, id)));
  const ownedByAll = async () => new Set((await partitionStatus(client, backend, spec)).partitions.map((p) => p.owner)).size === 4;
  while (!(await ownedByAll())) await sleep(20);
  children[0]!.kill('SIGKILL');
  const killed = process.hrtime.bigint();
  for (;;) {
    const status = await partitionStatus(client, backend, spec);
    if (status.partitions.every((p) => p.owner !== null && p.owner !== 'a')) break;
    await sleep(10);
  }
  const ms = Number(process.hrtime.bigint() - killed) / 1e6;
  for (const child of children) child.kill('SIGKILL');
  return ms;
}

async function main(): Promise<void> {
  const server = await startRedisServer();
  const client = new Redis(server.url);
  const backend = createQueueBackend({ backend: 'redis', redis: { redis: client, defaults: { maxReceiveCount: 1000 } } });
  try {
    console.log(`partitions bench: ${N} messages per scenario, ${PARTITIONS} partitions, ${KEYS} keys, handler ${HANDLER_MS} ms, concurrency ${CONCURRENCY} per process, ${cpus().length} cores`);
    const figures: Record<Mode, Record<number, number>> = { partitioned: {}, plain: {}, bullmq: {} };
    const unordered: Record<Mode, Record<number, number>> = { partitioned: {}, plain: {}, bullmq: {} };
    for (const consumers of COUNTS) {
      for (const mode of ['partitioned', 'plain', 'bullmq'] as Mode[]) {
        const { perSecond, outOfOrder: late } = await throughput(server.url, client, backend, mode, consumers, 'r0');
        figures[mode][consumers] = perSecond;
        unordered[mode][consumers] = late;
      }
    }
    const violations = COUNTS.reduce((sum, c) => sum + unordered.partitioned[c]!, 0);
    if (violations > 0) throw new Error(`${violations} messages of the partitioned queue processed out of their key's order`);
    const base = figures.partitioned[1]!;
    console.log('| consumers | partitioned msg/s | vs 1 | unpartitioned msg/s (out of key order) | partitioned / unpartitioned | BullMQ msg/s (out of key order) | partitioned / BullMQ |');
    console.log('| --- | --- | --- | --- | --- | --- | --- |');
    for (const c of COUNTS) {
      const p = figures.partitioned[c]!;
      const u = figures.plain[c]!;
      const b = figures.bullmq[c]!;
      const late = (mode: Mode) => unordered[mode][c]!;
      console.log(`| ${c} | ${Math.round(p)} | ${(p / base).toFixed(2)}× | ${Math.round(u)} (${late('plain')}) | ${(p / u).toFixed(2)}× | ${Math.round(b)} (${late('bullmq')}) | ${(p / b).toFixed(2)}× |`);
    }
    const scale4 = figures.partitioned[4]! / base;
    console.log(`target 4 consumers ≥ 3.5× one: ${scale4.toFixed(2)}× ${scale4 >= 3.5 ? 'PASS' : 'MISS'}`);
    const rebalance = await rebalanceMs(server.url, client, backend);
    const limit = LEASE_MS + 1000;
    console.log(`target rebalance after SIGKILL ≤ lease + 1 s (${limit} ms): ${Math.round(rebalance)} ms ${rebalance <= limit ? 'PASS' : 'MISS'}`);
    console.log(JSON.stringify({ date: new Date().toISOString(), messages: N, partitions: PARTITIONS, keys: KEYS, cores: cpus().length, figures, unordered, scale4, rebalanceMs: rebalance, leaseMs: LEASE_MS }));
  } finally {
    await backend.close();
    client.disconnect();
    await server.stop();
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
