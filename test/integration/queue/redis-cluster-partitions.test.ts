/**
 * Partitioned queues on a 3-master Redis Cluster (private, started by the test): each partition
 * queue `<q>#<p>` has its own hash tag, so the partitions of one queue live on different shards,
 * every partition script stays in one slot (no CROSSSLOT), and per-key order holds.
 */
import { createLogger } from '../../../lib/log';
import { randomBytes } from 'node:crypto';
import Redis, { type Cluster } from 'ioredis';
import { PartitionedConsumer, PartitionedQueue, partitionQueueName, partitionedQueueDrained, type PartitionSpec } from '../../../lib/queue/partitions';
import type { QueueBackend } from '../../../lib/queue/types';
import { startRedisCluster, type PrivateRedisCluster } from '../../../scripts/stack/redis-server';
import { OrderChecker, interleavedMessages, waitUntil } from '../../support/partitions';
import { redisQueueOn } from '../../support/redis-queue';
import { describePartitionContract } from './partition-contract';

/** The consumers' warnings (induced failures, lost partitions) are what the tests provoke: not printed. */
const quiet = createLogger({ component: 'test' }, { level: 'silent' });

describe('partitioned queues on a 3-master Redis Cluster', () => {
  let cluster: PrivateRedisCluster;
  let client: Cluster;
  let backend: QueueBackend;

  beforeAll(async () => {
    cluster = await startRedisCluster(3);
    client = new Redis.Cluster(cluster.nodes);
    await client.ping();
    backend = redisQueueOn(client, { maxReceiveCount: 1000 });
  }, 60_000);

  afterAll(async () => {
    await backend?.close();
    client?.disconnect();
    await cluster?.stop();
  });

  async function masterOf(queue: string): Promise<string> {
    const slot = Number(await client.call('CLUSTER', 'KEYSLOT', `{${queue}}:ready`));
    const ranges = (await client.call('CLUSTER', 'SLOTS')) as [number, number, [string, number]][];
    const range = ranges.find(([from, to]) => slot >= from && slot <= to);
    if (!range) throw new Error(`slot ${slot} has no master`);
    return `${range[2][0]}:${range[2][1]}`;
  }

  it('should put the partitions of one queue on different masters and keep each key in order', async () => {
    // arrange
    // a queue name whose 6 partitions cover all 3 masters (most names do; the loop makes it certain)
    let spec!: PartitionSpec;
    let owners: string[] = [];
    for (let i = 0; new Set(owners).size < 3; i += 1) {
      if (i > 50) throw new Error('no queue name spreads its partitions over every master');
      spec = { queue: `cluster-parts-${randomBytes(3).toString('hex')}`, partitions: 6, partitionKey: 'key' };
      const queue = spec.queue;
      owners = await Promise.all(Array.from({ length: spec.partitions }, (_, p) => masterOf(partitionQueueName(queue, p))));
    }
    const checker = new OrderChecker();
    const messages = interleavedMessages(30, 15);
    await new PartitionedQueue(backend, spec).pushBatch(messages);
    const consumers = ['a', 'b'].map((consumerId) => {
      let calls = 0;
      return new PartitionedConsumer({
      logger: quiet,
        redis: client,
        backend,
        spec,
        consumerId,
        leaseMs: 900,
        maxReceiveCount: 1000,
        handler: async (body) => {
          const key = String(body.key);
          const n = Number(body.n);
          checker.start(key, n);
          calls += 1;
          const ok = calls % 9 !== 0;
          checker.finish(key, n, ok);
          if (!ok) throw new Error('induced failure');
        },
      });
    });

    // act
    for (const consumer of consumers) await consumer.start();
    await waitUntil(async () => checker.completed() === messages.length, 30_000);
    await Promise.all(consumers.map((c) => c.close()));

    // assert
    expect(new Set(owners).size).toBe(3);
    expect(checker.violations).toEqual([]);
    expect(checker.failures).toBeGreaterThan(0);
  });

  it("should give a joining member its share at once over the cluster's pub/sub, not at the others' next periodic tick", async () => {
    // arrange
    const spec: PartitionSpec = { queue: `cluster-join-${randomBytes(3).toString('hex')}`, partitions: 6, partitionKey: 'key' };
    // A 30 s lease: the periodic tick (a third of it) cannot fall inside the measurement.
    const member = (consumerId: string) => new PartitionedConsumer({ logger: quiet, redis: client, backend, spec, consumerId, leaseMs: 30_000, handler: async () => undefined });
    const first = member('a');
    const second = member('b');
    await first.start();

    // act
    const joined = Date.now();
    await second.start();
    await waitUntil(async () => second.partitions().length === 3 && first.partitions().length === 3, 5_000);
    const tookMs = Date.now() - joined;
    await Promise.all([first.close(), second.close()]);

    // assert
    expect(tookMs).toBeLessThan(1_000);
  });

  describePartitionContract('redis cluster', async (partitioning) => {
    const spec: PartitionSpec = { queue: `cluster-contract-${randomBytes(3).toString('hex')}`, ...partitioning };
    const group: PartitionedConsumer[] = [];
    return {
      queue: new PartitionedQueue(backend, spec),
      async startConsumer(handler) {
        const member = new PartitionedConsumer({ logger: quiet, redis: client, backend, spec, leaseMs: 900, maxReceiveCount: 1000, handler });
        group.push(member);
        await member.start();
      },
      drained: () => partitionedQueueDrained(backend, spec),
      async cleanup() {
        await Promise.all(group.map((member) => member.close()));
      },
    };
  });
});
