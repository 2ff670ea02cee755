/**
 * Partitioned queues (docs/queue.md, Partitions): per-key order with parallel consumers. The
 * producer side (PartitionedQueue) works over any backend (partition queues on Redis, one FIFO
 * queue grouped by key on SQS); the consumer group (PartitionedConsumer) runs on Redis, Lambda's
 * SQS event source is the consumer group on SQS; status.ts reads owners and counts.
 */
export * from './routing';
export { PartitionedConsumer, consumePartitioned, reportedFailures, type PartitionHandler, type PartitionBatchHandler, type PartitionBatchReport, type PartitionedConsumerOptions } from './consumer';
export { partitionStatus, partitionedQueueDrained, queueStats, queueStorage, type PartitionState, type PartitionMember, type PartitionedQueueStatus } from './status';
export { RedisPartitionScripts, partitionOwnerKey, partitionFenceKey, partitionMembersKey, partitionNoticeChannel, type PartitionLeaseResult } from './redis-partition-scripts';
