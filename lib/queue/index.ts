/**
 * The queue library's entry point: `createQueueBackend()` picks the backend that QUEUE_BACKEND
 * names, so producers and consumers never depend on a transport.
 */
import { coreConfig } from '../config';
import { RedisQueueBackend, type RedisQueueBackendOptions } from './redis/redis-queue-backend';
import type { SqsQueueBackendOptions } from './sqs/sqs-backend';
import { QueueUsageError } from './errors';
import type { QueueBackend } from './types';

export interface CreateQueueBackendOptions {
  /** Overrides QUEUE_BACKEND (tests, tools). */
  backend?: 'redis' | 'sqs';
  /** Options of the Redis backend (client or URL, default and per-queue settings). */
  redis?: RedisQueueBackendOptions;
  /** Options of the SQS backend (client, endpoint and prefix overrides); the environment otherwise. */
  sqs?: SqsQueueBackendOptions;
}

/** The configured queue backend; the caller closes it when done. */
export function createQueueBackend(options: CreateQueueBackendOptions = {}): QueueBackend {
  const backend = options.backend ?? coreConfig().QUEUE_BACKEND;
  switch (backend) {
    case 'redis':
      return new RedisQueueBackend(options.redis);
    case 'sqs': {
      // Function bundles of stages on Redis are built with BUNDLED_QUEUE_BACKEND replaced by "redis"
      // (serverless.yml, custom.esbuild.define): the condition folds to true and esbuild drops the
      // require below, and with it the SQS backend and the AWS SDK (a fifth of the bundle).
      if (process.env.BUNDLED_QUEUE_BACKEND === 'redis') {
        throw new QueueUsageError('QUEUE_BACKEND=sqs, but this package was built for a stage on Redis (param queueBackend)');
      } else {
        // Required on demand, so that processes on Redis never load the AWS SDK.
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        const { SqsQueueBackend } = require('./sqs/sqs-backend') as typeof import('./sqs/sqs-backend');
        return new SqsQueueBackend(options.sqs);
      }
    }
    default:
      throw new QueueUsageError(`unknown queue backend ${String(backend)}`);
  }
}

export * from './types';
export * from './errors';
export { RedisQueueBackend, type RedisQueueBackendOptions } from './redis/redis-queue-backend';
export type { SqsQueueBackendOptions } from './sqs/sqs-backend';
