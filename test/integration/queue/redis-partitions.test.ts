/**
 * Partitioned queues on Redis (lib/queue/partitions, docs/queue.md Partitions): per-key order with
 * several consumers, fencing of a stale owner, rebalancing when a consumer joins or leaves, and a
 * consumer killed with SIGKILL whose partitions the others take after its lease. A private Redis.
 */
import { createLogger } from '../../../lib/log';
import type { ChildProcess } from 'node:child_process';
import Redis from 'ioredis';
import { PartitionedConsumer, PartitionedQueue, RedisPartitionScripts, partitionOf, partitionQueueName, partitionStatus, partitionedQueueDrained, type PartitionSpec } from '../../../lib/queue/partitions';
import type { QueueBackend } from '../../../lib/queue/types';
import { startRedisServer, type PrivateRedisServer } from '../../../scripts/stack/redis-server';
import { redisQueueOn } from '../../support/redis-queue';
import { OrderChecker, interleavedMessages, startConsumerChild, waitUntil } from '../../support/partitions';
import { describePartitionContract } from './partition-contract';

const LEASE_MS = 900;

/** The consumers' warnings (induced failures, lost partitions) are what the tests provoke: not printed. */
const quiet = createLogger({ component: 'test' }, { level: 'silent' });

describe('partitioned queues on Redis', () => {
  let server: PrivateRedisServer;
  let client: Redis;
  let backend: QueueBackend;
  let counter = 0;
  const consumers: PartitionedConsumer[] = [];

  beforeAll(async () => {
    server = await startRedisServer();
    client = new Redis(server.url);
    backend = redisQueueOn(client, { maxReceiveCount: 1000 });
  });

  afterEach(async () => {
    await Promise.all(consumers.splice(0).map((c) => c.close()));
  });

  afterAll(async () => {
    await backend?.close();
    client?.disconnect();
    await server?.stop();
  });

  function newSpec(partitions: number): PartitionSpec {
    counter += 1;
    return { queue: `parts-${counter}`, partitions, partitionKey: 'key' };
  }

  function consumer(spec: PartitionSpec, checker: OrderChecker, consumerId: string, failEvery = 0, concurrency?: number): PartitionedConsumer {
    let calls = 0;
    const c = new PartitionedConsumer({
      concurrency,
      logger: quiet,
      redis: client,
      backend,
      spec,
      consumerId,
      leaseMs: LEASE_MS,
      visibilityMs: 10_000,
      maxReceiveCount: 1000,
      handler: async (body) => {
        const key = String(body.key);
        const n = Number(body.n);
        checker.start(key, n);
        calls += 1;
        await new Promise((resolve) => setTimeout(resolve, Math.random() * 3));
        if (failEvery > 0 && calls % failEvery === 0) {
          checker.finish(key, n, false);
          throw new Error('induced failure');
        }
        checker.finish(key, n, true);
      },
    });
    consumers.push(c);
    return c;
  }

  const drained = (spec: PartitionSpec) => partitionedQueueDrained(backend, spec);

  it('should give each consumer its fair share and rebalance when one joins and when one leaves', async () => {
    // arrange
    const spec = newSpec(8);
    const checker = new OrderChecker();
    const queue = new PartitionedQueue(backend, spec);
    const first = consumer(spec, checker, 'first');
    await first.start();
    await waitUntil(async () => first.partitions().length === 8, 5000);

    // act: a second joins while messages flow
    const second = consumer(spec, checker, 'second');
    await second.start();
    await queue.pushBatch(interleavedMessages(20, 10));
    await waitUntil(async () => first.partitions().length === 4 && second.partitions().length === 4, 10_000);
    const split = [first.partitions(), second.partitions()];
    await queue.pushBatch(interleavedMessages(20, 10, 10));
    await waitUntil(async () => checker.completed() === 400 && (await drained(spec)), 20_000);
    await second.close();
    consumers.splice(consumers.indexOf(second), 1);
    await waitUntil(async () => first.partitions().length === 8, 5000);

    // assert
    expect(new Set([...split[0]!, ...split[1]!]).size).toBe(8);
    expect(checker.violations).toEqual([]);
  });

  it('should report the live members, the owner and token of each partition and its counts', async () => {
    // arrange
    const spec = newSpec(4);
    const checker = new OrderChecker();
    await new PartitionedQueue(backend, spec).pushBatch([{ key: 'ORD-1', n: 0 }]);
    const member = consumer(spec, checker, 'only');
    const idle = newSpec(2);

    // act
    const before = await partitionStatus(client, backend, spec);
    await member.start();
    const after = await partitionStatus(client, backend, spec);
    const never = await partitionStatus(client, backend, idle);

    // assert
    expect(before.members).toEqual([]);
    expect(before.partitions.map((p) => p.owner)).toEqual([null, null, null, null]);
    expect(before.partitions[partitionOf(spec, { key: 'ORD-1' })]!.stats.ready).toBe(1);
    expect(after.members.map((m) => m.consumerId)).toEqual(['only']);
    expect(after.partitions.map((p) => p.owner)).toEqual(['only', 'only', 'only', 'only']);
    expect(after.partitions.every((p) => p.token > 0 && p.leaseDeadline! > after.readAt)).toBe(true);
    expect(never.partitions.map((p) => [p.queue, p.owner, p.token])).toEqual([[`${idle.queue}#0`, null, 0], [`${idle.queue}#1`, null, 0]]);
  });

  it('should run at most `concurrency` handlers at once over all its partitions, each key still in order', async () => {
    // arrange
    const spec = newSpec(8);
    const checker = new OrderChecker();
    const messages = interleavedMessages(20, 5);
    await new PartitionedQueue(backend, spec).pushBatch(messages);
    const limited = consumer(spec, checker, 'limited', 0, 2);

    // act
    await limited.start();
    await waitUntil(async () => checker.completed() === messages.length && (await drained(spec)), 20_000);

    // assert
    expect(limited.partitions()).toHaveLength(8);
    expect(checker.mostRunning).toBe(2);
    expect(checker.violations).toEqual([]);
  });

  it("should refuse a stale owner's lease and ack once another consumer took the partition (fencing)", async () => {
    // arrange
    const spec = newSpec(1);
    const partition = partitionQueueName(spec.queue, 0);
    const scripts = new RedisPartitionScripts(client);
    await new PartitionedQueue(backend, spec).pushBatch([{ key: 'k', n: 0 }, { key: 'k', n: 1 }]);
    const oldToken = await scripts.claim(partition, 'old', 300);
    const leased = await scripts.lease(partition, { consumerId: 'old', token: oldToken }, 1, 60_000, 5);
    const busy = await scripts.lease(partition, { consumerId: 'old', token: oldToken }, 1, 60_000, 5);
    await new Promise((resolve) => setTimeout(resolve, 350));

    // act
    const newToken = await scripts.claim(partition, 'new', 5000);
    const staleLease = await scripts.lease(partition, { consumerId: 'old', token: oldToken }, 1, 60_000, 5, [leased.deliveries[0]!.receipt]);
    const staleAck = await scripts.ack(partition, { consumerId: 'old', token: oldToken }, [leased.deliveries[0]!.receipt]);
    const staleRenew = await scripts.renew(partition, 'old', oldToken, 5000);
    const taken = await scripts.lease(partition, { consumerId: 'new', token: newToken }, 1, 60_000, 5);

    // assert
    expect(leased.status).toBe('ok');
    expect(busy.status).toBe('busy');
    expect(newToken).toBeGreaterThan(oldToken);
    expect(staleLease.status).toBe('fenced');
    // the acks riding on a stale owner's lease are refused too
    expect(staleLease.stale).toEqual([leased.deliveries[0]!.receipt]);
    expect(staleAck).toEqual([leased.deliveries[0]!.receipt]);
    expect(staleRenew).toBe(0);
    // the old owner's message came back first (not overtaken by n=1), its delivery counted
    expect(taken.deliveries.map((d) => [JSON.parse(d.body).n, d.receiveCount])).toEqual([[0, 2]]);
    expect(await scripts.ack(partition, { consumerId: 'new', token: newToken }, [taken.deliveries[0]!.receipt])).toEqual([]);
  });

  it("should ack the previous batch in the owner's next fenced lease, and lease the next message in the same call", async () => {
    // arrange
    const spec = newSpec(1);
    const partition = partitionQueueName(spec.queue, 0);
    const scripts = new RedisPartitionScripts(client);
    await new PartitionedQueue(backend, spec).pushBatch([{ key: 'k', n: 0 }, { key: 'k', n: 1 }]);
    const owner = { consumerId: 'me', token: await scripts.claim(partition, 'me', 5000) };
    const first = await scripts.lease(partition, owner, 1, 60_000, 5);

    // act
    const second = await scripts.lease(partition, owner, 1, 60_000, 5, [first.deliveries[0]!.receipt]);
    const repeated = await scripts.lease(partition, owner, 1, 60_000, 5, [first.deliveries[0]!.receipt]);

    // assert
    expect(second.status).toBe('ok');
    expect(second.stale).toEqual([]);
    expect(second.deliveries.map((d) => JSON.parse(d.body).n)).toEqual([1]);
    // a receipt acked once is stale the second time; the partition is busy with n=1 meanwhile
    expect(repeated).toMatchObject({ status: 'busy', stale: [first.deliveries[0]!.receipt] });
    expect((await backend.stats(partition)).inFlight).toBe(1);
  });

  it('should refuse a claim while the owner holds its lease, and let the owner give it back', async () => {
    // arrange
    const spec = newSpec(1);
    const partition = partitionQueueName(spec.queue, 0);
    const scripts = new RedisPartitionScripts(client);
    const token = await scripts.claim(partition, 'a', 5000);

    // act
    const refused = await scripts.claim(partition, 'b', 5000);
    const again = await scripts.claim(partition, 'a', 5000);
    const given = await scripts.give(partition, 'a', token);
    const next = await scripts.claim(partition, 'b', 5000);

    // assert
    expect(refused).toBe(0);
    expect(again).toBe(token);
    expect(given).toBe(true);
    expect(next).toBe(token + 1);
  });

  describe('a consumer killed with SIGKILL', () => {
    const children: ChildProcess[] = [];

    afterAll(() => {
      for (const child of children) child.kill('SIGKILL');
    });

    async function startChild(spec: PartitionSpec, consumerId: string, processed: string): Promise<ChildProcess> {
      const child = await startConsumerChild({ redisUrl: server.url, spec, consumerId, processed, leaseMs: LEASE_MS, workMs: 15 });
      children.push(child);
      return child;
    }

    it('should lose its partitions after the lease; the other takes them, every message processed, no key out of order', async () => {
      // arrange
      const spec = newSpec(6);
      const processed = `${spec.queue}:processed`;
      const messages = interleavedMessages(30, 30);
      await new PartitionedQueue(backend, spec).pushBatch(messages);
      const [victim, survivor] = await Promise.all([startChild(spec, 'a-victim', processed), startChild(spec, 'b-survivor', processed)]);
      // both at work (the group has rebalanced), most messages still waiting
      await waitUntil(async () => {
        const record = await client.lrange(processed, 0, -1);
        return record.some((e) => e.endsWith(':a-victim')) && record.filter((e) => e.endsWith(':b-survivor')).length > 20;
      }, 20_000);

      // act
      victim.kill('SIGKILL');
      const killedAt = Date.now();
      await waitUntil(async () => await drained(spec), 30_000);
      const tookOverMs = Date.now() - killedAt;

      // assert
      const record = await client.lrange(processed, 0, -1);
      const firstSeen = new Map<string, number[]>();
      const survivorPartitions = new Set<number>();
      for (const entry of record) {
        const [key, n, by] = entry.split(':') as [string, string, string];
        if (by === 'b-survivor') survivorPartitions.add(partitionOf(spec, { key }));
        const seen = firstSeen.get(key) ?? [];
        if (!seen.includes(Number(n))) seen.push(Number(n));
        firstSeen.set(key, seen);
      }
      for (const [key, seen] of firstSeen) expect({ key, seen }).toEqual({ key, seen: [...seen].sort((x, y) => x - y) });
      expect(new Set(record.map((entry) => entry.split(':').slice(0, 2).join(':'))).size).toBe(messages.length);
      // the survivor ran the victim's partitions too, once the victim's heartbeat and leases ran out
      expect(survivorPartitions.size).toBe(spec.partitions);
      expect(tookOverMs).toBeGreaterThanOrEqual(LEASE_MS / 2);
      survivor.kill('SIGKILL');
    });
  });

  describePartitionContract('redis', async (partitioning) => {
    const spec = { ...newSpec(partitioning.partitions), ...partitioning };
    const group: PartitionedConsumer[] = [];
    return {
      queue: new PartitionedQueue(backend, spec),
      async startConsumer(handler) {
        const member = new PartitionedConsumer({ logger: quiet, redis: client, backend, spec, leaseMs: LEASE_MS, visibilityMs: 10_000, maxReceiveCount: 1000, handler });
        group.push(member);
        await member.start();
      },
      drained: () => drained(spec),
      async cleanup() {
        await Promise.all(group.map((member) => member.close()));
      },
    };
  });

  it('should keep every key in order across a change of N: a new generation started once the old one drained', async () => {
    // arrange: generation 1 with 4 partitions, consumers at work, a backlog for every key
    const old = newSpec(4);
    const next = { ...newSpec(8), queue: `${old.queue}-v2` };
    const checker = new OrderChecker();
    for (const id of ['old-a', 'old-b']) await consumer(old, checker, id).start();
    await new PartitionedQueue(backend, old).pushBatch(interleavedMessages(40, 10));

    // act: producers switch to generation 2 at once; its consumers start once generation 1 drained
    await new PartitionedQueue(backend, next).pushBatch(interleavedMessages(40, 10, 10));
    const drainedBeforeSwitch = await drained(old);
    await waitUntil(() => drained(old), 20_000);
    const oldGroup = consumers.splice(0);
    await Promise.all(oldGroup.map((c) => c.close()));
    for (const id of ['new-a', 'new-b', 'new-c']) await consumer(next, checker, id).start();
    await waitUntil(async () => checker.completed() === 800 && (await drained(next)), 20_000);

    // assert
    expect(drainedBeforeSwitch).toBe(false);
    expect(checker.violations).toEqual([]);
    expect(checker.completed()).toBe(800);
  });

  it('should route one key always to the same partition queue', async () => {
    const spec = newSpec(4);
    const queue = new PartitionedQueue(backend, spec);

    await queue.push({ key: 'ORD-1', n: 0 });
    await queue.push({ key: 'ORD-1', n: 1 });

    const name = partitionQueueName(spec.queue, partitionOf(spec, { key: 'ORD-1' }));
    expect((await backend.peek(name, 10)).map((b) => JSON.parse(b).n)).toEqual([0, 1]);
  });
});
