/**
 * Routing of partitioned queues (docs/queue.md, Partitions): which partition queue `<q>#<p>` a
 * message goes to. The hash is FNV-1a 32 over the UTF-8 bytes of the partition key's value, mod
 * the number of partitions: no seed and no process state, so every producer (in any process or
 * language) sends a key to the same partition, which per-key order depends on.
 */
import { findQueueDefinition, type QueueDefinition } from '../definitions';
import { PartitionKeyMissingError, QueueUsageError } from '../errors';
import type { GroupedMessage, MessageBody, PushOptions, QueueBackend } from '../types';

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
  const key = keyText(message[spec.partitionKey]);
  if (key !== undefined) return partitionOfKey(key, spec.partitions);
  if (spec.defaultPartition !== undefined) return spec.defaultPartition;
  throw new PartitionKeyMissingError(spec.queue, spec.partitionKey);
}

/**
 * The queues that hold a partitioned queue's messages (and dead letters) on `backend`: the one
 * FIFO queue where the backend has message groups (SQS), the partition queues `<q>#<p>` otherwise.
 */
export function partitionStorageQueues(backend: QueueBackend, spec: PartitionSpec): string[] {
  const checked = checkPartitionSpec(spec);
  if (backend.capabilities.messageGroups) return [checked.queue];
  return Array.from({ length: checked.partitions }, (_, partition) => partitionQueueName(checked.queue, partition));
}

/** SQS's rule for a MessageGroupId: 1 to 128 characters from `!` to `~`. */
const GROUP_ID = /^[\x21-\x7e]{1,128}$/;

/**
 * The message group of `message` on a backend with message groups (SQS FIFO): the key's value
 * itself (a number as its decimal text), or, for a value SQS would refuse as a group id, `fnv:`
 * and its FNV-1a hash (still one group per key); a message without the key goes to the group of
 * the default partition, `partition:<p>`, or is refused with PartitionKeyMissingError.
 */
export function messageGroupOf(spec: PartitionSpec, message: MessageBody): string {
  const key = keyText(message[spec.partitionKey]);
  if (key !== undefined) return GROUP_ID.test(key) ? key : `fnv:${fnv1a32(key).toString(16).padStart(8, '0')}`;
  if (spec.defaultPartition !== undefined) return `partition:${spec.defaultPartition}`;
  throw new PartitionKeyMissingError(spec.queue, spec.partitionKey);
}

/** A usable key value as text: a non-empty string, or a finite number's decimal text; undefined otherwise. */
function keyText(value: unknown): string | undefined {
  if (typeof value === 'string' && value.length > 0) return value;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  return undefined;
}

export interface PartitionedQueueOptions {
  /**
   * Backends with message groups (SQS FIFO): the message field whose value is a message's
   * deduplication id (e.g. an idempotency id the producer sets), so that a push repeated within
   * SQS's 5-minute window is stored once. Absent: the queue's content-based deduplication where it
   * has it, none otherwise.
   */
  deduplicationField?: string;
}

/**
 * The producer side of a partitioned queue over any backend. Where the backend has message
 * groups (SQS FIFO) the partitioned queue is the one FIFO queue and each message's group is its
 * key (messageGroupOf); elsewhere (Redis) push and pushBatch route each message to its partition
 * queue `<q>#<p>`. Either way the messages of one key stay in one ordered sequence.
 */
export class PartitionedQueue {
  readonly spec: PartitionSpec;

  constructor(
    private readonly backend: QueueBackend,
    spec: PartitionSpec,
    private readonly options: PartitionedQueueOptions = {},
  ) {
    this.spec = checkPartitionSpec(spec);
  }

  /** The partition queue name `message` goes to (throws PartitionKeyMissingError as partitionOf does). */
  queueOf(message: MessageBody): string {
    return partitionQueueName(this.spec.queue, partitionOf(this.spec, message));
  }

  /** Pushes one message to its partition queue (or its key's message group). */
  async push(message: MessageBody, options?: PushOptions): Promise<void> {
    if (this.grouping()) await this.pushGrouped([message], options);
    else await this.backend.push(this.queueOf(message), message, options);
  }

  /**
   * Pushes many, each to its partition, keeping their order within each partition (one
   * pushBatch per partition, one after the other). Every message is routed before anything is
   * pushed, so a message without its key refuses the whole call with nothing stored.
   */
  async pushBatch(messages: MessageBody[], options?: PushOptions): Promise<void> {
    if (this.grouping()) {
      await this.pushGrouped(messages, options);
      return;
    }
    const groups = new Map<string, MessageBody[]>();
    for (const message of messages) {
      const queue = this.queueOf(message);
      const group = groups.get(queue);
      if (group) group.push(message);
      else groups.set(queue, [message]);
    }
    for (const [queue, group] of groups) await this.backend.pushBatch(queue, group, options);
  }

  /** Whether the backend keeps the order of message groups in one queue (SQS FIFO). */
  private grouping(): boolean {
    return this.backend.capabilities.messageGroups && this.backend.pushGrouped !== undefined;
  }

  private async pushGrouped(messages: MessageBody[], options: PushOptions = {}): Promise<void> {
    // A FIFO queue has no per-message delay (a delayed message would hold its whole group).
    if (options.delaySeconds) throw new QueueUsageError(`push to ${this.spec.queue}: a partitioned queue on message groups takes no delay`);
    const grouped = messages.map((message) => this.grouped(message));
    await this.backend.pushGrouped!(this.spec.queue, grouped, { sourceType: options.sourceType });
  }

  private grouped(message: MessageBody): GroupedMessage {
    const field = this.options.deduplicationField;
    const dedup = field !== undefined ? keyText(message[field]) : undefined;
    return { body: message, groupId: messageGroupOf(this.spec, message), ...(dedup !== undefined ? { deduplicationId: dedup } : {}) };
  }
}

/** What pushes to one queue, partitioned or not: `PartitionedQueue` and `queueProducer`'s plain form alike. */
export interface QueueProducer {
  push(message: MessageBody, options?: PushOptions): Promise<void>;
  pushBatch(messages: MessageBody[], options?: PushOptions): Promise<void>;
}

/**
 * The one way to push to a queue by its name: through its routing when the queue is declared
 * partitioned (queues/definitions.json, or `specOf` in tests), straight to the backend otherwise.
 * Every producer (the pipelines, requeue-damaged, the console's resend, the cutover) takes it, so
 * that a message lands where the queue's consumers read, and a queue declared partitioned later
 * needs no producer changed.
 */
export function queueProducer(backend: QueueBackend, queue: string, specOf: (queue: string) => PartitionSpec | undefined = definedPartitionSpec): QueueProducer {
  const spec = specOf(queue);
  if (spec) return new PartitionedQueue(backend, spec);
  return {
    push: (message, options) => backend.push(queue, message, options),
    pushBatch: (messages, options) => backend.pushBatch(queue, messages, options),
  };
}
