/**
 * What an operator (the console's queue view) and the generation switch need to know about a
 * partitioned queue (docs/queue.md, Partitions: status and changing N): the consumer group's live
 * members, each partition's owner and lease, each partition's counts, and whether the whole queue
 * is drained. Read-only: nothing here changes an owner or a message.
 */
import type { Cluster, Redis } from 'ioredis';
import type { QueueBackend, QueueStats } from '../types';
import { partitionMembersKey, partitionOwnerKey } from './redis-partition-scripts';
import { checkPartitionSpec, definedPartitionSpec, partitionQueueName, partitionStorageQueues, type PartitionSpec } from './routing';

/** One partition as the status shows it. */
export interface PartitionState {
  partition: number;
  /** The partition queue, `<q>#<p>`. */
  queue: string;
  /** The consumer id holding the partition's lease, or null when nobody holds a running one. */
  owner: string | null;
  /** The fencing token of the last owner (0: never claimed). */
  token: number;
  /** When the owner's lease runs out (unix ms, Redis time); null without an owner. */
  leaseDeadline: number | null;
  stats: QueueStats;
}

/** A live member of the consumer group and when its heartbeat runs out (unix ms, Redis time). */
export interface PartitionMember {
  consumerId: string;
  heartbeatDeadline: number;
}

export interface PartitionedQueueStatus {
  spec: PartitionSpec;
  /** Redis time when the status was read (unix ms): leases and heartbeats are compared with it. */
  readAt: number;
  members: PartitionMember[];
  partitions: PartitionState[];
}

/**
 * The members, owners and counts of a partitioned queue on Redis (partition queues `<q>#<p>`).
 * The console's view of partitions and owners reads this; a lease whose deadline passed shows no
 * owner (another consumer may claim it now).
 */
export async function partitionStatus(redis: Redis | Cluster, backend: QueueBackend, spec: PartitionSpec): Promise<PartitionedQueueStatus> {
  const checked = checkPartitionSpec(spec);
  const [seconds, micros] = (await redis.call('TIME')) as [string, string];
  const readAt = Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
  const beats = await redis.zrange(partitionMembersKey(checked.queue), 0, -1, 'WITHSCORES');
  const members: PartitionMember[] = [];
  for (let i = 0; i < beats.length; i += 2) {
    const heartbeatDeadline = Number(beats[i + 1]);
    if (heartbeatDeadline > readAt) members.push({ consumerId: beats[i]!, heartbeatDeadline });
  }
  const partitions = await Promise.all(
    Array.from({ length: checked.partitions }, async (_, partition): Promise<PartitionState> => {
      const queue = partitionQueueName(checked.queue, partition);
      const [[owner, token, deadline], stats] = await Promise.all([redis.hmget(partitionOwnerKey(queue), 'owner', 'token', 'deadline'), backend.stats(queue)]);
      const running = owner !== null && Number(deadline) > readAt;
      return { partition, queue, owner: running ? (owner as string) : null, token: Number(token ?? 0), leaseDeadline: running ? Number(deadline) : null, stats };
    }),
  );
  return { spec: checked, readAt, members, partitions };
}

/**
 * True when nothing of the partitioned queue is ready, in flight or delayed: every partition queue
 * on Redis, the one FIFO queue where the backend has message groups (SQS). The first step of
 * changing N: the old generation's consumers stop only once this holds.
 */
export async function partitionedQueueDrained(backend: QueueBackend, spec: PartitionSpec): Promise<boolean> {
  for (const queue of partitionStorageQueues(backend, spec)) {
    const stats = await backend.stats(queue);
    if (stats.ready + stats.inFlight + stats.delayed > 0) return false;
  }
  return true;
}

/**
 * Every storage queue that holds messages of the queue named `queue`: for a queue declared
 * partitioned (`specOf`, queues/definitions.json by default) its partition queues on Redis, after
 * the plain queue of the name (messages pushed there before the queue was declared partitioned, or
 * by a legacy RPUSH producer, wait for the next run, which empties it first:
 * runPartitionedBatchConsumer), or the one FIFO queue on SQS; otherwise the queue itself. What
 * watches or operates a queue by name (queueStats, the console's peek, redrive and purge) goes
 * over these, so that nothing a queue holds is out of sight.
 */
export function queueStorage(backend: QueueBackend, queue: string, specOf: (queue: string) => PartitionSpec | undefined = definedPartitionSpec): string[] {
  const spec = specOf(queue);
  if (!spec) return [queue];
  const storage = partitionStorageQueues(backend, spec);
  return storage.includes(queue) ? storage : [queue, ...storage];
}

/**
 * A queue's figures by its name, partitioned or not: the sum of its storage queues' counts
 * (queueStorage) and the oldest of their ages. The console, its metrics, the local run and the
 * soak read this, so that a partitioned queue never looks empty while its partitions hold messages.
 */
export async function queueStats(backend: QueueBackend, queue: string, specOf: (queue: string) => PartitionSpec | undefined = definedPartitionSpec): Promise<QueueStats> {
  const storage = queueStorage(backend, queue, specOf);
  if (storage.length === 1) return backend.stats(storage[0]!);
  const all = await Promise.all(storage.map((name) => backend.stats(name)));
  const ages = all.map((stats) => stats.oldestAgeSeconds).filter((age): age is number => age !== null);
  return {
    ready: all.reduce((sum, stats) => sum + stats.ready, 0),
    inFlight: all.reduce((sum, stats) => sum + stats.inFlight, 0),
    delayed: all.reduce((sum, stats) => sum + stats.delayed, 0),
    dead: all.reduce((sum, stats) => sum + stats.dead, 0),
    oldestAgeSeconds: ages.length > 0 ? Math.max(...ages) : null,
  };
}
