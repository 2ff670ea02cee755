/**
 * What the operators' console opens, the same in the `console` and `console-metrics` functions
 * and the local console and CLI: the queue backend, the database, Kafka's end offsets (the
 * impressions lag) and the partition owners of partitioned queues (on the runtime's Redis).
 */
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

export const consoleClients: ClientsFor<ConsoleDeps> = { backend: queueBackendClient, db: dbClient, endOffsets: kafkaEndOffsetsClient, partitionStatus: partitionStatusClient };
