/**
 * The queue contract on Redis (shared server at REDIS_URL, one fresh queue per test), plus what
 * only the Redis backend has: legacy RPUSH producers, blocking waits, the script cache, fail-fast
 * producers and memory per message (these on a private redis-server).
 */
import { randomBytes } from 'node:crypto';
import Redis from 'ioredis';
import { coreConfig } from '../../../lib/config';
import { MalformedQueueMessageError, QueueUnavailableError } from '../../../lib/queue/errors';
import { messageKeys, queueKeys } from '../../../lib/queue/redis/keys';
import { RedisQueueBackend } from '../../../lib/queue/redis/redis-queue-backend';
import { freePort } from '../../../scripts/stack/process';
import { startRedisServer, type PrivateRedisServer } from '../../../scripts/stack/redis-server';
import { describeQueueContract } from './contract';

const sharedUrl = coreConfig().REDIS_URL;
const uniqueQueue = (label: string) => `test-${label}-${process.pid}-${randomBytes(4).toString('hex')}`;

/** Deletes every key of `queue`, the id counter included. */
async function dropQueue(redis: Redis, queue: string): Promise<void> {
  const keys = queueKeys(queue);
  await redis.del(...Object.values(keys).filter((key) => key !== keys.signal));
}

describeQueueContract('redis', async (settings) => {
  const backend = new RedisQueueBackend({ url: sharedUrl, defaults: settings });
  const queue = uniqueQueue('contract');
  return {
    backend,
    queue,
    async cleanup() {
      await backend.purge(queue);
      await backend.close();
      const admin = new Redis(sharedUrl);
      await dropQueue(admin, queue);
      await admin.quit();
    },
  };
});

describe('RedisQueueBackend', () => {
  let redis: Redis;
  let backend: RedisQueueBackend;
  let queue: string;

  beforeEach(() => {
    redis = new Redis(sharedUrl);
    backend = new RedisQueueBackend({ url: sharedUrl, defaults: { visibilityTimeoutSeconds: 30, maxReceiveCount: 5 } });
    queue = uniqueQueue('redis');
  });

  afterEach(async () => {
    await backend.close();
    await dropQueue(redis, queue);
    await redis.quit();
  });

  describe('legacy producers', () => {
    it('should take in messages RPUSHed onto the bare queue name, verbatim and in their order', async () => {
      const legacy = Array.from({ length: 250 }, (_, n) => JSON.stringify({ legacy: String(n), gateway: 'adyen' }));
      await redis.rpush(queue, ...legacy);
      await backend.push(queue, { fresh: '1' });

      const leased = await backend.lease(queue, { max: 1000 });

      expect(leased).toHaveLength(251);
      expect(leased.map((d) => d.body).filter((body) => body.includes('legacy'))).toEqual(legacy);
      expect(leased.filter((d) => d.body.includes('fresh'))).toHaveLength(1);
      expect(new Set(leased.map((d) => d.id)).size).toBe(251);
      expect(leased.every((d) => d.receiveCount === 1 && d.enqueuedAt > 0)).toBe(true);
      expect(await redis.exists(queue)).toBe(0);
    });

    it('should not starve legacy messages behind a steady stream of new pushes', async () => {
      await redis.rpush(queue, ...Array.from({ length: 300 }, (_, n) => JSON.stringify({ legacy: String(n) })));
      const delivered: MessageOrigin[] = [];

      // Lease calls alone (no push absorbing legacy): each moves a bounded slice of legacy elements.
      for (let round = 0; round < 5; round += 1) {
        await backend.pushBatch(queue, Array.from({ length: 50 }, (_, n) => ({ fresh: `${round}.${n}` })));
        const leased = await backend.lease(queue, { max: 100 });
        delivered.push(...leased.map((d) => ('legacy' in JSON.parse(d.body) ? 'legacy' : 'fresh') as MessageOrigin));
        await backend.ackBatch(queue, leased.map((d) => d.receipt));
      }

      expect(delivered.filter((origin) => origin === 'legacy')).toHaveLength(300);
      expect(await redis.llen(queue)).toBe(0);
    });

    it('should hand a legacy body that is not JSON to popAtomic callers as MalformedQueueMessageError, still leased', async () => {
      await redis.rpush(queue, 'not json {');
      const callback = jest.fn(async () => 'never');

      const error = await backend.popAtomic(queue, callback).catch((thrown: unknown) => thrown);

      expect(error).toBeInstanceOf(MalformedQueueMessageError);
      expect(callback).not.toHaveBeenCalled();
      const { delivery } = error as MalformedQueueMessageError;
      expect(delivery.body).toBe('not json {');
      expect((error as Error).message).not.toContain('not json');
      expect(await backend.stats(queue)).toMatchObject({ ready: 0, inFlight: 1 });
      await backend.ack(queue, delivery.receipt);
      expect(await backend.stats(queue)).toMatchObject({ ready: 0, inFlight: 0 });
    });
  });

  describe('waitForMessage', () => {
    it('should wake promptly when a message is pushed', async () => {
      const producer = new RedisQueueBackend({ url: sharedUrl });
      const started = process.hrtime.bigint();
      setTimeout(() => void producer.push(queue, { n: '1' }), 200);

      const woke = await backend.waitForMessage(queue, 5000);
      const elapsedMs = Number(process.hrtime.bigint() - started) / 1e6;
      await producer.close();

      expect(woke).toBe(true);
      expect(elapsedMs).toBeGreaterThanOrEqual(150);
      expect(elapsedMs).toBeLessThan(1500);
      expect(await backend.lease(queue)).toHaveLength(1);
    });

    it('should wake promptly when a legacy producer RPUSHes, and the message is then leasable', async () => {
      const started = process.hrtime.bigint();
      setTimeout(() => void redis.rpush(queue, JSON.stringify({ legacy: '1' })), 200);

      const woke = await backend.waitForMessage(queue, 5000);
      const elapsedMs = Number(process.hrtime.bigint() - started) / 1e6;
      const [delivery] = await backend.lease(queue);

      expect(woke).toBe(true);
      expect(elapsedMs).toBeLessThan(1500);
      expect(JSON.parse(delivery!.body).legacy).toBe('1');
    });

    it('should wake every one of many waits started a few ms apart on a fresh backend, each on its own queue', async () => {
      // arrange: as partition loops do, the waits start while the backend's subscriber connection
      // is still connecting (later subscriptions then met ioredis's ready check in subscriber mode)
      const client = new Redis(sharedUrl);
      const fresh = new RedisQueueBackend({ redis: client });
      await fresh.stats(queue);
      const queues = Array.from({ length: 8 }, (_, n) => `${queue}-${n}`);
      try {
        // act
        const waits: Promise<unknown>[] = [];
        for (const name of queues) {
          waits.push(fresh.waitForMessage(name, 5000).catch((error: unknown) => (error as Error).name));
          await new Promise((resolve) => setTimeout(resolve, 3));
        }
        await new Promise((resolve) => setTimeout(resolve, 300));
        for (const name of queues) await backend.push(name, { n: '1' });
        const woke = await Promise.race([Promise.all(waits), new Promise((resolve) => setTimeout(() => resolve('hung'), 8000))]);

        // assert
        expect(woke).toEqual(queues.map(() => true));
      } finally {
        await fresh.close();
        client.disconnect();
        for (const name of queues) await dropQueue(redis, name);
      }
    });

    it('should return at once when a message is already there', async () => {
      await backend.push(queue, { n: '1' });
      const started = process.hrtime.bigint();

      const woke = await backend.waitForMessage(queue, 5000);

      expect(woke).toBe(true);
      expect(Number(process.hrtime.bigint() - started) / 1e6).toBeLessThan(1000);
    });

    it('should return false after the timeout on an empty queue', async () => {
      const started = process.hrtime.bigint();

      const woke = await backend.waitForMessage(queue, 300);
      const elapsedMs = Number(process.hrtime.bigint() - started) / 1e6;

      expect(woke).toBe(false);
      expect(elapsedMs).toBeGreaterThanOrEqual(280);
      expect(elapsedMs).toBeLessThan(2000);
    });

    it('should wake when a delayed message falls due before the timeout', async () => {
      await backend.push(queue, { n: 'later' }, { delaySeconds: 1 });

      const woke = await backend.waitForMessage(queue, 5000);
      const [delivery] = await backend.lease(queue);

      expect(woke).toBe(true);
      expect(JSON.parse(delivery!.body).n).toBe('later');
    });
  });

  describe('leases', () => {
    it('should put expired leases back at the front in their original order', async () => {
      const shortLeases = new RedisQueueBackend({ url: sharedUrl, defaults: { visibilityTimeoutSeconds: 1, maxReceiveCount: 5 } });
      await shortLeases.pushBatch(queue, [{ n: '1' }, { n: '2' }, { n: '3' }]);
      await shortLeases.lease(queue, { max: 2 });
      await new Promise((resolve) => setTimeout(resolve, 1300));

      const again = await shortLeases.lease(queue, { max: 3 });
      await shortLeases.close();

      expect(again.map((d) => JSON.parse(d.body).n)).toEqual(['1', '2', '3']);
      expect(again.map((d) => d.receiveCount)).toEqual([2, 2, 1]);
    });

    it('should ignore stale piggybacked acks and still lease', async () => {
      await backend.pushBatch(queue, [{ n: '1' }, { n: '2' }]);
      const [first] = await backend.lease(queue);
      await backend.ack(queue, first!.receipt);

      const leased = await backend.lease(queue, { ack: [first!.receipt, 'garbage'] });

      expect(leased.map((d) => JSON.parse(d.body).n)).toEqual(['2']);
    });

    it('should refuse a lease batch larger than the bound', async () => {
      await expect(backend.lease(queue, { max: 1001 })).rejects.toThrow('lease max');
    });
  });

  describe('storage', () => {
    it('should leave nothing but the id counter, the clock and this session\'s last reply behind once every message is acked', async () => {
      await backend.pushBatch(queue, Array.from({ length: 20 }, (_, n) => ({ n: String(n) })));
      await backend.push(queue, { n: 'delayed' }, { delaySeconds: 1 });
      await new Promise((resolve) => setTimeout(resolve, 1100));

      const leased = await backend.lease(queue, { max: 50 });
      await backend.ackBatch(queue, leased.map((d) => d.receipt));

      expect(leased).toHaveLength(21);
      const keys = queueKeys(queue);
      const left = await redis.exists(...messageKeys(keys));
      expect(left).toBe(0);
    });

    it('should reject a queue name that would break the shared hash slot', async () => {
      await expect(backend.push('bad{name}', { n: '1' })).rejects.toThrow('invalid queue name');
    });
  });
});

describe('RedisQueueBackend on a private redis-server', () => {
  let server: PrivateRedisServer;
  let redis: Redis;
  let backend: RedisQueueBackend;
  const queue = 'private-queue';

  beforeAll(async () => {
    server = await startRedisServer();
  });

  beforeEach(async () => {
    redis = new Redis(server.url);
    await redis.flushall();
    backend = new RedisQueueBackend({ url: server.url });
  });

  afterEach(async () => {
    await backend.close();
    await redis.quit();
  });

  afterAll(async () => {
    await server.stop();
  });

  it('should keep working after SCRIPT FLUSH, for single and concurrently pipelined calls', async () => {
    await backend.push(queue, { n: '0' });
    await redis.script('FLUSH');

    await Promise.all(Array.from({ length: 20 }, (_, n) => backend.push(queue, { n: String(n + 1) })));
    await redis.script('FLUSH');
    await backend.pushBatch(queue, [{ n: '21' }, { n: '22' }]);
    await redis.script('FLUSH');
    const leased = await Promise.all([backend.lease(queue, { max: 10 }), backend.lease(queue, { max: 20 })]);
    await redis.script('FLUSH');
    const stale = await backend.ackBatch(queue, leased.flat().map((d) => d.receipt));

    const bodies = leased.flat().map((d) => JSON.parse(d.body).n);
    expect(bodies).toEqual(Array.from({ length: 23 }, (_, n) => String(n)));
    expect(stale).toEqual([]);
  });

  it('should store a 200-byte message in at most its size plus 100 bytes, and free it all after ack', async () => {
    const count = 100_000;
    const padding = 'p'.repeat(200 - JSON.stringify({ n: '000000', pad: '' }).length);
    const messages = Array.from({ length: count }, (_, n) => ({ n: String(n).padStart(6, '0'), pad: padding }));
    const before = await usedMemory(redis);
    await backend.pushBatch(queue, messages);

    const keys = queueKeys(queue);
    const [sample] = await backend.peek(queue, 1);
    const storedBody = Buffer.byteLength(sample!);
    const listBytes = Number(await redis.call('MEMORY', 'USAGE', keys.ready, 'SAMPLES', '0'));
    const grownBytes = (await usedMemory(redis)) - before;
    const perMessageOverhead = listBytes / count - storedBody;
    console.log(
      `queue memory: stored body ${storedBody} B (200 B payload + source fields); ` +
        `MEMORY USAGE ${(listBytes / count).toFixed(1)} B/msg, used_memory growth ${(grownBytes / count).toFixed(1)} B/msg; ` +
        `overhead ${perMessageOverhead.toFixed(1)} B/msg`,
    );
    expect(perMessageOverhead).toBeLessThanOrEqual(100);

    await backend.popAtomicBatch(queue, 1000, async () => ({ failedIds: [] }));
    await backend.purge(queue);
    expect(await redis.exists(keys.ready, keys.inflight, keys.leases)).toBe(0);
  });

  it('should keep its waiting connections for the next wait and close them with the backend', async () => {
    const own = new RedisQueueBackend({ redis });
    await own.push(queue, { warm: 'up' });
    const clientsBefore = await countClients(redis);

    await own.waitForMessage('other-queue', 200);
    const afterFirstWait = await countClients(redis);
    await own.waitForMessage('other-queue', 200);
    const afterSecondWait = await countClients(redis);
    await own.close();
    await new Promise((resolve) => setTimeout(resolve, 100));

    expect(afterFirstWait).toBe(clientsBefore + 2); // the subscriber and the legacy list's blocker
    expect(afterSecondWait).toBe(afterFirstWait);
    expect(await countClients(redis)).toBe(clientsBefore);
  });

  it('should deliver messages released together with a delay in their queue order', async () => {
    const ns = Array.from({ length: 12 }, (_, i) => String(i + 1));
    await backend.pushBatch(queue, ns.map((n) => ({ n })));
    const leased = await backend.lease(queue, { max: 12 });
    await backend.releaseMany(queue, [...leased].reverse().map((d) => d.receipt), 1);
    await new Promise((resolve) => setTimeout(resolve, 1200));

    const again = await backend.lease(queue, { max: 12 });

    expect(again.map((d) => JSON.parse(d.body).n)).toEqual(ns);
  });

  it('should keep a backlog of legacy RPUSH messages of any size ahead of newer pushes', async () => {
    const small = new RedisQueueBackend({ redis, housekeepingBound: 100 });
    const legacy = Array.from({ length: 150 }, (_, i) => JSON.stringify({ n: String(i + 1) }));
    await redis.rpush(queueKeys(queue).legacy, ...legacy);
    await small.push(queue, { n: '151' });
    await redis.rpush(queueKeys(queue).legacy, JSON.stringify({ n: '152' }));

    const seen: string[] = [];
    for (;;) {
      const leased = await small.lease(queue, { max: 40 });
      if (leased.length === 0) break;
      seen.push(...leased.map((d) => JSON.parse(d.body).n as string));
    }
    await small.close();

    expect(seen).toEqual(Array.from({ length: 152 }, (_, i) => String(i + 1)));
  });

  it('should redeliver more expired leases than its housekeeping bound in their original order', async () => {
    const small = new RedisQueueBackend({ redis, housekeepingBound: 100, defaults: { visibilityTimeoutSeconds: 1 } });
    const ns = Array.from({ length: 300 }, (_, i) => String(i + 1));
    await small.pushBatch(queue, ns.map((n) => ({ n })));
    expect(await small.lease(queue, { max: 300 })).toHaveLength(300);
    await new Promise((resolve) => setTimeout(resolve, 1200));
    await small.push(queue, { n: '301' });

    const seen: string[] = [];
    for (;;) {
      const leased = await small.lease(queue, { max: 50 });
      if (leased.length === 0) break;
      seen.push(...leased.map((d) => JSON.parse(d.body).n as string));
    }
    await small.close();

    expect(seen).toEqual([...ns, '301']);
  });

  it('should wake a waiting consumer when a legacy producer RPUSHes', async () => {
    const waiting = backend.waitForMessage(queue, 8000);
    const started = Date.now();
    await new Promise((resolve) => setTimeout(resolve, 100));
    await redis.rpush(queueKeys(queue).legacy, JSON.stringify({ n: 'legacy' }));

    expect(await waiting).toBe(true);
    expect(Date.now() - started).toBeLessThan(4000);
    expect((await backend.lease(queue)).map((d) => JSON.parse(d.body).n)).toEqual(['legacy']);
  });

  it('should reject a push quickly with QueueUnavailableError when Redis is down', async () => {
    const closedPort = await freePort();
    const producer = new RedisQueueBackend({ url: `redis://127.0.0.1:${closedPort}` });
    const started = process.hrtime.bigint();

    const error = await producer.push(queue, { n: '1' }).catch((thrown: unknown) => thrown);
    const elapsedMs = Number(process.hrtime.bigint() - started) / 1e6;
    await producer.close();

    expect(error).toBeInstanceOf(QueueUnavailableError);
    expect(elapsedMs).toBeLessThan(3000);
  });
});

type MessageOrigin = 'legacy' | 'fresh';

async function countClients(redis: Redis): Promise<number> {
  const list = (await redis.client('LIST')) as string;
  return list.split('\n').filter(Boolean).length;
}

async function usedMemory(redis: Redis): Promise<number> {
  const info = await redis.info('memory');
  return Number(/used_memory:(\d+)/.exec(info)?.[1]);
}
