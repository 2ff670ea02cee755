/**
 * Partitioned queues (docs/queue.md, Partitions): per-key order with parallel consumers. The
 * producer side (PartitionedQueue) works over any backend; the consumer group (PartitionedConsumer)
 * runs on Redis.
 */
export * from './routing';
export { PartitionedConsumer, consumePartitioned, type PartitionHandler, type PartitionedConsumerOptions } from './consumer';
export { RedisPartitionScripts, partitionOwnerKey, partitionFenceKey, partitionMembersKey, type PartitionLeaseResult } from './redis-partition-scripts';
export { readPartitionStatus, type PartitionOwnership, type PartitionStatus } from './status';
