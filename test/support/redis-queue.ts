/**
 * The one place where the failure tests, the crash-safety consumer and the queue bench build a
 * Redis queue backend, through the library's factory, so that they exercise the QueueBackend
 * contract and nothing else.
 */
import type { Cluster, Redis } from 'ioredis';
import { createQueueBackend } from '../../lib/queue';
import type { QueueBackend, QueueSettings } from '../../lib/queue/types';

/** A Redis queue backend over an existing client (single server or Cluster); close() leaves the client open. */
export function redisQueueOn(client: Redis | Cluster, defaults: Partial<QueueSettings> = {}): QueueBackend {
  return createQueueBackend({ backend: 'redis', redis: { redis: client, defaults } });
}

/** A Redis queue backend that opens (and on close() closes) its own connection to `url`, with the library's connection settings. */
export function redisQueueAt(url: string, defaults: Partial<QueueSettings> = {}): QueueBackend {
  return createQueueBackend({ backend: 'redis', redis: { url, defaults } });
}

/** Script calls (EVALSHA and EVAL) a Redis has run since its last CONFIG RESETSTAT, from INFO commandstats. */
export async function scriptCalls(admin: Redis | Cluster): Promise<number> {
  const stats = await admin.info('commandstats');
  return Number(/cmdstat_evalsha:calls=(\d+)/.exec(stats)?.[1] ?? 0) + Number(/cmdstat_eval:calls=(\d+)/.exec(stats)?.[1] ?? 0);
}
