/**
 * The clients the tracking handlers open at module scope: those of every handler
 * (lib/handler-clients.ts) plus the Redis connection of the id sequence, which the Redis queue
 * backend shares instead of opening a second one.
 */
import { coreConfig } from '../config';
import { openDatabase } from '../db/client';
import { endInvocation, type HandlerClients } from '../handler-clients';
import { createQueueBackend } from '../queue';
import type { Redis } from 'ioredis';
import { openTrackingRedis } from './redis-client';

export interface TrackingClients extends HandlerClients {
  /** Holds the id sequence (and, with QUEUE_BACKEND=redis, the queue). */
  redis: Redis;
}

/** Opens the queue backend, a small database pool and the sequence's Redis (all connect lazily). */
export function openTrackingClients(): TrackingClients {
  const core = coreConfig();
  const redis = openTrackingRedis(core.REDIS_URL);
  return {
    redis,
    backend: createQueueBackend(core.QUEUE_BACKEND === 'redis' ? { redis: { redis } } : {}),
    database: openDatabase(core.DATABASE_URL, { connectionLimit: 2 }),
  };
}

/** Call in a `finally` after each invocation: closes everything only under `sls invoke local`. */
export async function endTrackingInvocation(clients: TrackingClients): Promise<void> {
  if (process.env.IS_LOCAL !== 'true') return;
  await endInvocation(clients);
  clients.redis.disconnect();
}
