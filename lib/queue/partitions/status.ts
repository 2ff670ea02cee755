/**
 * Who holds which partition of a partitioned queue, read from the lease keys the partition
 * scripts keep (redis-partition-scripts.ts): per partition its owner, fencing token and how long
 * the lease still runs, and the group's live members with their heartbeat deadlines. Read-only
 * and not fenced: a snapshot for people (the console), never an input to consumption.
 */
import type { Cluster, Redis } from 'ioredis';
import { BufferError, toError } from '../../errors';
import { QueueUnavailableError } from '../errors';
import { partitionMembersKey, partitionOwnerKey } from './redis-partition-scripts';
import { partitionQueueName, type PartitionSpec } from './routing';

export interface PartitionOwnership {
  partition: number;
  /** The partition queue `<q>#<p>`. */
  queue: string;
  /** The consumer holding the lease; null when nobody holds it or the lease ran out. */
  owner: string | null;
  /** The holder's fencing token (0 when nobody ever held it). */
  token: number;
  /** Milliseconds the lease still runs, by Redis time; null without an owner. */
  leaseLeftMs: number | null;
}

export interface PartitionStatus {
  queue: string;
  partitions: PartitionOwnership[];
  /** Live members of the consumer group, with the milliseconds their heartbeat still runs. */
  members: Array<{ id: string; heartbeatLeftMs: number }>;
}

/** Reads every partition's owner hash and the group's members (one call per slot). */
export async function readPartitionStatus(redis: Redis | Cluster, spec: PartitionSpec): Promise<PartitionStatus> {
  try {
    const [[seconds, micros], members, owners] = await Promise.all([
      redis.time(),
      redis.zrange(partitionMembersKey(spec.queue), 0, -1, 'WITHSCORES'),
      Promise.all(Array.from({ length: spec.partitions }, (_, p) => redis.hmget(partitionOwnerKey(partitionQueueName(spec.queue, p)), 'owner', 'token', 'deadline'))),
    ]);
    const nowMs = Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
    const live: PartitionStatus['members'] = [];
    for (let i = 0; i < members.length; i += 2) {
      const left = Number(members[i + 1]) - nowMs;
      if (left > 0) live.push({ id: members[i]!, heartbeatLeftMs: left });
    }
    return {
      queue: spec.queue,
      members: live.sort((a, b) => a.id.localeCompare(b.id)),
      partitions: owners.map(([owner, token, deadline], partition) => {
        const left = deadline === null ? 0 : Number(deadline) - nowMs;
        const held = owner !== null && left > 0;
        return { partition, queue: partitionQueueName(spec.queue, partition), owner: held ? owner! : null, token: Number(token ?? 0), leaseLeftMs: held ? left : null };
      }),
    };
  } catch (error) {
    if (error instanceof BufferError) throw error;
    throw new QueueUnavailableError(`Redis did not answer for the partitions of ${spec.queue}: ${toError(error).message.slice(0, 200)}`, { cause: error });
  }
}
