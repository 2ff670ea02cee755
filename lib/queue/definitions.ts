/**
 * The project's queues, read from the one definition in `queues/definitions.json`. The code's
 * default queue names, the IAM statements, the CloudFormation resources, LocalStack's init hook
 * and the local emulator's queues are all derived from it, so a queue's name, type, timeouts and
 * dead-letter policy are stated exactly once.
 */
import * as z from 'zod';
import { ConfigError } from '../errors';
import raw from '../../queues/definitions.json';

const queueDefinitionSchema = z
  .object({
    name: z.string().regex(/^[A-Za-z0-9_-]{1,60}$/, 'letters, digits, - and _ only (prefix and suffixes are added)'),
    fifo: z.boolean(),
    visibilityTimeoutSeconds: z.number().int().min(0).max(43200),
    functionTimeoutSeconds: z.number().int().min(1).max(900),
    maxReceiveCount: z.number().int().min(1).max(1000),
    messageRetentionSeconds: z.number().int().min(60).max(1209600),
    deadLetterRetentionSeconds: z.number().int().min(60).max(1209600),
    /**
     * Partitioned queue (docs/queue.md, Partitions): its messages are split over this many
     * partition queues `<name>#<p>` by the partition key's hash, and each partition is consumed
     * by one consumer at a time, in order. Absent: an ordinary queue.
     */
    partitions: z.number().int().min(1).max(1024).optional(),
    /** The message field whose value picks the partition (e.g. `order_id`); required with `partitions`. */
    partitionKey: z.string().min(1).optional(),
    /** Where a message without the key goes; absent: such a push is refused with PartitionKeyMissingError. */
    defaultPartition: z.number().int().min(0).optional(),
  })
  .refine((q) => q.visibilityTimeoutSeconds >= 6 * q.functionTimeoutSeconds, {
    message: 'visibilityTimeoutSeconds must be at least 6 times functionTimeoutSeconds',
  })
  .refine((q) => (q.partitions === undefined) === (q.partitionKey === undefined), {
    message: 'partitions and partitionKey go together',
  })
  // The same definition deploys on SQS, where a partitioned queue is one FIFO queue grouped by key
  // (docs/queue.md, Partitions on SQS); a standard queue would keep no key's order there.
  .refine((q) => q.partitions === undefined || q.fifo, {
    message: 'a partitioned queue must be "fifo": true (on SQS it is a FIFO queue with MessageGroupId = the key)',
  })
  .refine((q) => q.defaultPartition === undefined || (q.partitions !== undefined && q.defaultPartition < q.partitions), {
    message: 'defaultPartition needs partitions and must be below it',
  });

const definitionsSchema = z.object({ queues: z.array(queueDefinitionSchema).min(1) });

export type QueueDefinition = z.infer<typeof queueDefinitionSchema>;

/** Validates a definitions document; throws a ConfigError listing every problem. */
export function parseQueueDefinitions(document: unknown): QueueDefinition[] {
  const result = definitionsSchema.safeParse(document);
  if (!result.success) {
    throw new ConfigError(result.error.issues.map((i) => `queues/definitions.json ${i.path.join('.')}: ${i.message}`));
  }
  const names = result.data.queues.map((q) => q.name);
  const duplicate = names.find((name, index) => names.indexOf(name) !== index);
  if (duplicate) throw new ConfigError([`queues/definitions.json: queue ${duplicate} is defined twice`]);
  return result.data.queues;
}

/** The project's queues (validated when this module loads: a broken file fails every build). */
export const queueDefinitions: readonly QueueDefinition[] = parseQueueDefinitions(raw);

/** Looks a logical queue name up; undefined for queues the definitions do not list (e.g. tests' own). */
export function findQueueDefinition(name: string): QueueDefinition | undefined {
  return queueDefinitions.find((q) => q.name === name);
}

/**
 * A queue's name as configuration defaults use it; throws (when the config module loads) if
 * the definitions do not list it, so a default cannot name a queue that is never created.
 */
export function definedQueue(name: string): string {
  if (!findQueueDefinition(name)) throw new ConfigError([`queue ${name} is not defined in queues/definitions.json`]);
  return name;
}

/** Every defined queue's name, in the file's order. */
export function definedQueueNames(): string[] {
  return queueDefinitions.map((q) => q.name);
}
