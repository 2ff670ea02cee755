/**
 * The Redis connection of the tracking buffer: the id sequence and (with the Redis backend) the
 * queue share it. Fail-fast settings, so that a producer learns at once that Redis is down.
 */
import Redis from 'ioredis';
import { createLogger } from '../log';
import { redisConnectionOptions } from '../queue/redis/redis-queue-backend';

const log = createLogger({ component: 'tracking.redis' });

/** Opens a client on `url`; connection errors are logged at debug level (each command reports its own). */
export function openTrackingRedis(url: string): Redis {
  const client = new Redis(url, { ...redisConnectionOptions(), lazyConnect: true });
  client.on('error', (error: Error) => log.debug({ err: error.message }, 'redis connection error'));
  return client;
}
