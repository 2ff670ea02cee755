/**
 * The queue contract on a 3-master Redis Cluster (private, started by the test) through an
 * ioredis Cluster client: every script must find all its keys in one slot (the `{queue}` hash
 * tag), so nothing may fail with CROSSSLOT, whichever master owns the queue.
 */
import { randomBytes } from 'node:crypto';
import Redis, { type Cluster } from 'ioredis';
import type { QueueBackend } from '../../../lib/queue/types';
import { startRedisCluster, type PrivateRedisCluster } from '../../../scripts/stack/redis-server';
import { redisQueueOn } from '../../support/redis-queue';
import { describeQueueContract } from './contract';

describe('Redis queue on a 3-master cluster', () => {
  let cluster: PrivateRedisCluster;
  let client: Cluster;

  beforeAll(async () => {
    cluster = await startRedisCluster(3);
    client = new Redis.Cluster(cluster.nodes);
    await client.ping();
  }, 60_000);

  afterAll(async () => {
    client?.disconnect();
    await cluster?.stop();
  });

  describeQueueContract('redis cluster', async (settings) => {
    const backend = redisQueueOn(client, settings);
    const queue = `cluster-contract-${randomBytes(4).toString('hex')}`;
    return {
      backend,
      queue,
      async cleanup() {
        await backend.purge(queue);
        await backend.close();
        await client.del(`{${queue}}:seq`);
      },
    };
  });

  describe('queues owned by different masters', () => {
    let backend: QueueBackend;
    let queues: string[];

    beforeAll(async () => {
      backend = redisQueueOn(client, { visibilityTimeoutSeconds: 1, maxReceiveCount: 2 });
      queues = await queuesOnEveryMaster(client, cluster.nodes.length);
    });

    afterAll(async () => {
      for (const queue of queues ?? []) {
        await backend.purge(queue);
        await client.del(`{${queue}}:seq`);
      }
      await backend.close();
    });

    it('should have a queue on each master (the arrangement the next cases rely on)', async () => {
      const owners = await Promise.all(queues.map((queue) => masterOf(client, queue)));

      expect(new Set(owners).size).toBe(cluster.nodes.length);
    });

    it('should run every operation of the contract without CROSSSLOT errors, on every master', async () => {
      await Promise.all(queues.map(async (queue) => {
        // push, batch push, delayed push, legacy RPUSH onto the bare queue name
        await backend.push(queue, { n: '1' });
        await backend.pushBatch(queue, [{ n: '2' }, { n: '3' }, { n: '4' }]);
        await backend.push(queue, { n: 'later' }, { delaySeconds: 2 });
        await client.rpush(queue, JSON.stringify({ n: 'legacy' }));
        expect(await backend.peek(queue, 10)).toHaveLength(5);
        expect(await backend.waitForMessage(queue, 1000)).toBe(true);

        // lease with piggybacked acks, ack, release, extend, popAtomic, popAtomicBatch
        const [first] = await backend.lease(queue, { max: 1 });
        const [second] = await backend.lease(queue, { max: 1, ack: [first!.receipt] });
        await backend.extend(queue, second!.receipt, 5);
        await backend.release(queue, second!.receipt);
        const popped = await backend.popAtomic(queue, async (body) => body.n);
        const batch = await backend.popAtomicBatch(queue, 10, async (deliveries) => ({ failedIds: [deliveries[0]!.id] }));
        const [again] = await backend.lease(queue, { max: 1 });
        await backend.ack(queue, again!.receipt);
        const rest = await backend.lease(queue, { max: 10 });
        expect(await backend.ackBatch(queue, rest.map((d) => d.receipt))).toEqual([]);

        expect(popped).toMatchObject({ status: 'done', value: '2' });
        expect(batch).toEqual({ leased: 3, acked: 2, failed: 1 });

        // lease expiry, dead letters, redrive, stats, purge
        await new Promise((resolve) => setTimeout(resolve, 2100));
        const [delayed] = await backend.lease(queue, { max: 1 });
        expect(delayed && JSON.parse(delayed.body).n).toBe('later');
        await new Promise((resolve) => setTimeout(resolve, 1100)); // lease runs out: delivery 1 of 2
        await backend.lease(queue, { max: 1 });
        await new Promise((resolve) => setTimeout(resolve, 1100)); // runs out again: past maxReceiveCount
        expect(await backend.lease(queue, { max: 1 })).toEqual([]);
        const dead = await backend.readDeadLetters(queue, 10);
        expect(dead).toHaveLength(1);
        expect(await backend.redriveDeadLetters(queue, { max: 1, perSecond: 100 })).toBe(1);
        expect(await backend.stats(queue)).toMatchObject({ ready: 1, inFlight: 0, delayed: 0, dead: 0 });
        await backend.purge(queue);
        expect(await backend.stats(queue)).toMatchObject({ ready: 0, inFlight: 0, delayed: 0, dead: 0, oldestAgeSeconds: null });
      }));
    }, 30_000);

    it('should wake a waiting consumer on every master when a message is pushed or RPUSHed by a legacy producer', async () => {
      const woken = await Promise.all(
        queues.map(async (queue, i) => {
          const started = Date.now();
          setTimeout(() => void (i % 2 === 0 ? backend.push(queue, { n: 'wake' }) : client.rpush(queue, JSON.stringify({ n: 'wake' }))), 200);
          const woke = await backend.waitForMessage(queue, 5000);
          return { woke, elapsedMs: Date.now() - started, leased: await backend.lease(queue, { max: 1 }) };
        }),
      );

      for (const { woke, elapsedMs, leased } of woken) {
        expect(woke).toBe(true);
        expect(elapsedMs).toBeLessThan(3000);
        expect(leased.map((d) => JSON.parse(d.body).n)).toEqual(['wake']);
        await backend.ack(leased[0]!.queue, leased[0]!.receipt);
      }
    });

    it('should keep queues on different masters apart', async () => {
      await Promise.all(queues.map((queue, i) => backend.pushBatch(queue, Array.from({ length: 50 }, (_, n) => ({ queue: i, n })))));

      const leased = await Promise.all(queues.map((queue) => backend.lease(queue, { max: 100 })));

      leased.forEach((deliveries, i) => {
        expect(deliveries).toHaveLength(50);
        expect(deliveries.every((d) => JSON.parse(d.body).queue === i && d.queue === queues[i])).toBe(true);
      });
      await Promise.all(queues.map((queue, i) => backend.ackBatch(queue, leased[i]!.map((d) => d.receipt))));
    });
  });
});

/** The address of the master that owns `queue`'s keys, from the cluster's own slot map. */
async function masterOf(client: Cluster, queue: string): Promise<string> {
  const slot = Number(await client.call('CLUSTER', 'KEYSLOT', `{${queue}}:ready`));
  const ranges = (await client.call('CLUSTER', 'SLOTS')) as [number, number, [string, number]][];
  const range = ranges.find(([from, to]) => slot >= from && slot <= to);
  if (!range) throw new Error(`slot ${slot} has no master`);
  return `${range[2][0]}:${range[2][1]}`;
}

/** One fresh queue name per master. */
async function queuesOnEveryMaster(client: Cluster, masters: number): Promise<string[]> {
  const byMaster = new Map<string, string>();
  const tag = randomBytes(3).toString('hex');
  for (let i = 0; byMaster.size < masters; i += 1) {
    if (i > 1000) throw new Error('could not find a queue name for every master');
    const queue = `cluster-${tag}-${i}`;
    const master = await masterOf(client, queue);
    if (!byMaster.has(master)) byMaster.set(master, queue);
  }
  return [...byMaster.values()];
}
