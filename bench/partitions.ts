/**
 * Partitions benchmark: a partitioned queue (8 partitions, 200 keys) drained by 1, 2 and 4
 * PartitionedConsumers whose handler waits 1 ms, on a private redis-server, all in the same run,
 * so that the ratios (2 and 4 consumers against 1) show how consumption scales while each key
 * stays in order. Per-key order is checked on the way; a violation fails the run.
 *
 *   npx tsx bench/partitions.ts            4,000 messages per scenario
 *   npx tsx bench/partitions.ts --quick    1,000
 *
 * Sizes via env: PARTITIONS_BENCH_MESSAGES. Prints a table and the figures as JSON on the last line.
 */
import Redis from 'ioredis';
import { createQueueBackend } from '../lib/queue';
import { PartitionedConsumer, PartitionedQueue, partitionQueueName, type PartitionSpec } from '../lib/queue/partitions';
import { startRedisServer } from '../scripts/stack/redis-server';

const quick = process.argv.includes('--quick');
const N = Number.parseInt(process.env.PARTITIONS_BENCH_MESSAGES ?? '', 10) || (quick ? 1_000 : 4_000);
const PARTITIONS = 8;
const KEYS = 200;
const HANDLER_MS = 1;

async function scenario(client: Redis, consumers: number, round: number): Promise<{ consumers: number; perSecond: number }> {
  const spec: PartitionSpec = { queue: `bench-parts-${consumers}-${round}`, partitions: PARTITIONS, partitionKey: 'order_id' };
  const backend = createQueueBackend({ backend: 'redis', redis: { redis: client, defaults: { maxReceiveCount: 1000 } } });
  const messages = Array.from({ length: N }, (_, i) => ({ order_id: `order-${i % KEYS}`, n: Math.floor(i / KEYS) }));
  await new PartitionedQueue(backend, spec).pushBatch(messages);
  const last = new Map<string, number>();
  let done = 0;
  let violations = 0;
  let finished!: () => void;
  const allDone = new Promise<void>((resolve) => (finished = resolve));
  const group = Array.from({ length: consumers }, (_, c) => new PartitionedConsumer({
    redis: client,
    backend,
    spec,
    consumerId: `c${c}`,
    leaseMs: 3000,
    maxReceiveCount: 1000,
    handler: async (body) => {
      await new Promise((resolve) => setTimeout(resolve, HANDLER_MS));
      const key = String(body.order_id);
      const n = Number(body.n);
      if ((last.get(key) ?? -1) !== n - 1) violations += 1;
      last.set(key, n);
      done += 1;
      if (done === N) finished();
    },
  }));
  const started = process.hrtime.bigint();
  // Joined together, so that the group has rebalanced before most of the work (each start is one tick).
  await Promise.all(group.map((c) => c.start()));
  await allDone;
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  await Promise.all(group.map((c) => c.close()));
  for (let p = 0; p < PARTITIONS; p += 1) await backend.purge(partitionQueueName(spec.queue, p));
  await backend.close();
  if (violations > 0) throw new Error(`${violations} messages out of their key's order with ${consumers} consumers`);
  return { consumers, perSecond: N / seconds };
}

async function main(): Promise<void> {
  const server = await startRedisServer();
  const client = new Redis(server.url);
  try {
    const results = [];
    for (const consumers of [1, 2, 4]) results.push(await scenario(client, consumers, 0));
    const base = results[0]!.perSecond;
    console.log(`partitioned queue, ${PARTITIONS} partitions, ${KEYS} keys, ${N} messages, handler ${HANDLER_MS} ms`);
    console.log('| consumers | msg/s | vs 1 consumer |');
    console.log('| --- | --- | --- |');
    for (const r of results) console.log(`| ${r.consumers} | ${Math.round(r.perSecond).toLocaleString('en')} | ${(r.perSecond / base).toFixed(2)}× |`);
    console.log(JSON.stringify({ date: new Date().toISOString(), messages: N, partitions: PARTITIONS, keys: KEYS, results }));
  } finally {
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
