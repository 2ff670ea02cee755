/**
 * The queue library's entry point: `createQueueBackend()` picks the backend that QUEUE_BACKEND
 * names, so producers and consumers never depend on a transport.
 */
import { coreConfig } from '../config';
import { RedisQueueBackend, type RedisQueueBackendOptions } from './redis/redis-queue-backend';
import type { QueueBackend } from './types';

export interface CreateQueueBackendOptions {
  /** Overrides QUEUE_BACKEND (tests, tools). */
  backend?: 'redis' | 'sqs';
  /** Options of the Redis backend (client or URL, default and per-queue settings). */
  redis?: RedisQueueBackendOptions;
}

/** The configured queue backend; the caller closes it when done. */
export function createQueueBackend(options: CreateQueueBackendOptions = {}): QueueBackend {
  const backend = options.backend ?? coreConfig().QUEUE_BACKEND;
  switch (backend) {
    case 'redis':
      return new RedisQueueBackend(options.redis);
    case 'sqs':
      // The SQS backend (lib/queue/sqs/) plugs in here.
      throw new Error('the sqs queue backend is not available yet');
    default:
      throw new Error(`unknown queue backend ${String(backend)}`);
  }
}

export * from './types';
export * from './errors';
export { RedisQueueBackend, type RedisQueueBackendOptions } from './redis/redis-queue-backend';
