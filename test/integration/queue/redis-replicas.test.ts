/**
 * The opt-in per queue that makes a push resolve only once replicas hold it (Redis WAIT on the
 * push's own connection), on a private primary with one replica: a deployment that cannot lose
 * a resolved push when the primary dies and a replica is promoted.
 */
import Redis from 'ioredis';
import { queueConfig } from '../../../lib/queue/config';
import { queueKeys } from '../../../lib/queue/redis/keys';
import { RedisQueueBackend, ReplicationTimeoutError } from '../../../lib/queue/redis/redis-queue-backend';
import { startRedisReplica, startRedisServer, type PrivateRedisReplica, type PrivateRedisServer } from '../../../scripts/stack/redis-server';

describe('RedisQueueBackend with pushes that wait for a replica', () => {
  let primary: PrivateRedisServer;
  let replica: PrivateRedisReplica;
  let backend: RedisQueueBackend;

  beforeAll(async () => {
    primary = await startRedisServer();
    replica = await startRedisReplica(primary);
  });

  afterEach(async () => {
    await backend.close();
  });

  afterAll(async () => {
    await replica.stop();
    await primary.stop();
  });

  it('should resolve a push once the replica holds it', async () => {
    backend = new RedisQueueBackend({ url: primary.url, durability: { donations: { replicas: 1, timeoutMs: 2000 } } });
    const onReplica = new Redis(replica.url);

    await backend.push('donations', { order_id: '1' });
    await backend.pushBatch('donations', [{ order_id: '2' }, { order_id: '3' }]);
    // read at once, no waiting: WAIT already confirmed the replica applied both pushes
    const replicated = await onReplica.llen(queueKeys('donations').ready);
    onReplica.disconnect();

    expect(replicated).toBe(3);
  });

  it('should take the queues to wait for from QUEUE_REDIS_WAIT_REPLICAS and QUEUE_REDIS_WAIT_TIMEOUT_MS', async () => {
    process.env.QUEUE_REDIS_WAIT_REPLICAS = 'donations:2';
    process.env.QUEUE_REDIS_WAIT_TIMEOUT_MS = '200';
    queueConfig.reset();
    try {
      backend = new RedisQueueBackend({ url: primary.url });

      await expect(backend.push('donations', { order_id: '6' })).rejects.toBeInstanceOf(ReplicationTimeoutError);
      await expect(backend.push('pending', { order_id: '7' })).resolves.toBeUndefined();
    } finally {
      delete process.env.QUEUE_REDIS_WAIT_REPLICAS;
      delete process.env.QUEUE_REDIS_WAIT_TIMEOUT_MS;
      queueConfig.reset();
    }
  });

  it('should reject a push with ReplicationTimeoutError when no replica confirms in time, and not wait on other queues', async () => {
    backend = new RedisQueueBackend({ url: primary.url, durability: { donations: { replicas: 2, timeoutMs: 300 } } });

    const durable = backend.push('donations', { order_id: '4' });
    const plain = backend.push('pending', { order_id: '5' });

    await expect(durable).rejects.toBeInstanceOf(ReplicationTimeoutError);
    await expect(plain).resolves.toBeUndefined();
  });
});
