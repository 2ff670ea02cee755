/**
 * What the operators' console opens, the same in the `console` and `console-metrics` functions
 * and the local console and CLI: the queue backend, the database, Kafka's end offsets (the
 * impressions lag), and on the runtime's Redis the partition owners of partitioned queues and
 * every function's invocation totals.
 */
import { coreConfig } from '../../config';
import { readInvocationFigures, type InvocationFiguresReader } from '../../console/invocation-figures';
import type { ConsoleDeps } from '../../console/operations';
import type { PartitionStatusReader } from '../../console/queues';
import { partitionStatus } from '../../queue/partitions';
import type { ClientSpec } from '../client';
import type { ClientsFor } from '../handler-runtime';
import { dbClient } from './database';
import { kafkaEndOffsetsClient } from './impressions';
import { queueBackendClient } from './queue-backend';
import { redisClient } from './redis';

export const partitionStatusClient: ClientSpec<PartitionStatusReader> = {
  name: 'partition status',
  open: ({ use }) => {
    const backend = use(queueBackendClient);
    return (spec) => partitionStatus(use(redisClient), backend, spec);
  },
};

/** Every function's invocation totals on this stage, as the runtime recorded them (on the runtime's Redis). */
export const invocationFiguresClient: ClientSpec<InvocationFiguresReader> = {
  name: 'invocation figures',
  open: ({ use }) => {
    const redis = use(redisClient);
    return () => readInvocationFigures(redis, coreConfig().STAGE);
  },
};

export const consoleClients: ClientsFor<ConsoleDeps> = {
  backend: queueBackendClient,
  db: dbClient,
  endOffsets: kafkaEndOffsetsClient,
  partitionStatus: partitionStatusClient,
  invocations: invocationFiguresClient,
};
