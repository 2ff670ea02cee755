/**
 * The handler's Redis connection (REDIS_URL), fail-fast and lazily connecting. With
 * QUEUE_BACKEND=redis the queue backend runs on this same connection, so a job that needs Redis
 * of its own (the tracking id sequence) shares one socket with its queue.
 */
import Redis from 'ioredis';
import { coreConfig } from '../../config';
import { redisConnectionOptions } from '../../queue/redis/redis-queue-backend';
import type { ClientSpec } from '../client';

export const redisClient: ClientSpec<Redis> = {
  name: 'redis',
  open({ logger }) {
    const redis = new Redis(coreConfig().REDIS_URL, redisConnectionOptions());
    redis.on('error', (error: Error) => logger.debug({ err: error.message }, 'redis connection error'));
    return redis;
  },
  async close(redis) {
    if (redis.status !== 'ready') {
      redis.disconnect();
      return;
    }
    try {
      await redis.quit();
    } catch {
      redis.disconnect();
    }
  },
};
