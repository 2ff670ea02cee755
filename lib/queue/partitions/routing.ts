/**
 * Routing of partitioned queues (docs/queue.md, Partitions): which partition queue `<q>#<p>` a
 * message goes to. The hash is FNV-1a 32 over the UTF-8 bytes of the partition key's value, mod
 * the number of partitions: no seed and no process state, so every producer (in any process or
 * language) sends a key to the same partition, which per-key order depends on.
 */
import { findQueueDefinition, type QueueDefinition } from '../definitions';
import { PartitionKeyMissingError, QueueUsageError } from '../errors';
import type { MessageBody, PushOptions, QueueBackend } from '../types';

/** What a partitioned queue is: its name, how many partitions, the key field, the default partition. */
export interface PartitionSpec {
  queue: string;
  partitions: number;
  partitionKey: string;
  /** Where a message without the key goes; undefined: it is refused with PartitionKeyMissingError. */
  defaultPartition?: number;
}

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

/** FNV-1a 32 of the UTF-8 bytes of `key`, as an unsigned 32-bit integer. */
export function fnv1a32(key: string): number {
  let hash = FNV_OFFSET;
  for (const byte of Buffer.from(key, 'utf8')) {
    hash ^= byte;
    hash = Math.imul(hash, FNV_PRIME) >>> 0;
  }
  return hash >>> 0;
}

/** The partition of a key value: fnv1a32(key) mod `partitions`. */
export function partitionOfKey(key: string, partitions: number): number {
  return fnv1a32(key) % partitions;
}

/** The name of partition `partition` of `queue`: `<queue>#<partition>`, its own `{<queue>#<p>}` hash tag on Redis. */
export function partitionQueueName(queue: string, partition: number): string {
  return `${queue}#${partition}`;
}

/** Checks a spec (whole numbers in range), so that a bad one fails where it is built, not at the first push. */
export function checkPartitionSpec(spec: PartitionSpec): PartitionSpec {
  if (!Number.isInteger(spec.partitions) || spec.partitions < 1 || spec.partitions > 1024) {
    throw new QueueUsageError(`queue ${spec.queue}: partitions must be a whole number from 1 to 1024`);
  }
  if (spec.partitionKey.length === 0) throw new QueueUsageError(`queue ${spec.queue}: partitionKey must not be empty`);
  if (spec.defaultPartition !== undefined && (!Number.isInteger(spec.defaultPartition) || spec.defaultPartition < 0 || spec.defaultPartition >= spec.partitions)) {
    throw new QueueUsageError(`queue ${spec.queue}: defaultPartition must be a partition number below ${spec.partitions}`);
  }
  return spec;
}

/** The partition spec a queue definition declares, or undefined for an ordinary queue. */
export function partitionSpecOf(definition: QueueDefinition): PartitionSpec | undefined {
  if (definition.partitions === undefined || definition.partitionKey === undefined) return undefined;
  return checkPartitionSpec({
    queue: definition.name,
    partitions: definition.partitions,
    partitionKey: definition.partitionKey,
    defaultPartition: definition.defaultPartition,
  });
}

/** The partition spec of a queue in queues/definitions.json; undefined when it is not declared partitioned. */
export function definedPartitionSpec(queue: string): PartitionSpec | undefined {
  const definition = findQueueDefinition(queue);
  return definition ? partitionSpecOf(definition) : undefined;
}

/**
 * The partition `message` belongs to. A key value must be a non-empty string or a finite number
 * (numbers hash as their decimal text, so `42` and `"42"` go to the same partition); otherwise
 * the default partition, or PartitionKeyMissingError when there is none.
 */
export function partitionOf(spec: PartitionSpec, message: MessageBody): number {
  const value = message[spec.partitionKey];
  if (typeof value === 'string' && value.length > 0) return partitionOfKey(value, spec.partitions);
  if (typeof value === 'number' && Number.isFinite(value)) return partitionOfKey(String(value), spec.partitions);
  if (spec.defaultPartition !== undefined) return spec.defaultPartition;
  throw new PartitionKeyMissingError(spec.queue, spec.partitionKey);
}

/**
 * The producer side of a partitioned queue over any backend: push and pushBatch route each
 * message to its partition queue, so that the messages of one key stay in one FIFO queue.
 */
export class PartitionedQueue {
  readonly spec: PartitionSpec;

  constructor(
    private readonly backend: QueueBackend,
    spec: PartitionSpec,
  ) {
    this.spec = checkPartitionSpec(spec);
  }

  /** The partition queue name `message` goes to (throws PartitionKeyMissingError as partitionOf does). */
  queueOf(message: MessageBody): string {
    return partitionQueueName(this.spec.queue, partitionOf(this.spec, message));
  }

  /** Pushes one message to its partition queue. */
  async push(message: MessageBody, options?: PushOptions): Promise<void> {
    await this.backend.push(this.queueOf(message), message, options);
  }

  /**
   * Pushes many, each to its partition, keeping their order within each partition (one
   * pushBatch per partition, one after the other). Every message is routed before anything is
   * pushed, so a message without its key refuses the whole call with nothing stored.
   */
  async pushBatch(messages: MessageBody[], options?: PushOptions): Promise<void> {
    const groups = new Map<string, MessageBody[]>();
    for (const message of messages) {
      const queue = this.queueOf(message);
      const group = groups.get(queue);
      if (group) group.push(message);
      else groups.set(queue, [message]);
    }
    for (const [queue, group] of groups) await this.backend.pushBatch(queue, group, options);
  }
}
