/**
 * The configured queue backend (QUEUE_BACKEND). On Redis it uses the runtime's Redis connection
 * (./redis.ts) and does not own it: that spec closes the socket after the backend.
 */
import { coreConfig } from '../../config';
import { createQueueBackend } from '../../queue';
import type { QueueBackend } from '../../queue/types';
import type { ClientSpec } from '../client';
import { redisClient } from './redis';

export const queueBackendClient: ClientSpec<QueueBackend> = {
  name: 'queue backend',
  open: ({ use }) => createQueueBackend(coreConfig().QUEUE_BACKEND === 'redis' ? { redis: { redis: use(redisClient) } } : {}),
  close: (backend) => backend.close(),
};
