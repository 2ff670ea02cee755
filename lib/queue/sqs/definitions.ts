/**
 * The SQS queues this project uses, read from the one definition in `localstack/queues.json`.
 * The local emulator, LocalStack's init hook and the CloudFormation resources are all derived
 * from it, so a queue's name, type, timeouts and dead-letter policy are stated exactly once.
 */
import * as z from 'zod';
import raw from '../../../localstack/queues.json';

const queueDefinitionSchema = z
  .object({
    name: z.string().regex(/^[A-Za-z0-9_-]{1,60}$/, 'letters, digits, - and _ only (prefix and suffixes are added)'),
    fifo: z.boolean(),
    visibilityTimeoutSeconds: z.number().int().min(0).max(43200),
    functionTimeoutSeconds: z.number().int().min(1).max(900),
    maxReceiveCount: z.number().int().min(1).max(1000),
    messageRetentionSeconds: z.number().int().min(60).max(1209600),
    deadLetterRetentionSeconds: z.number().int().min(60).max(1209600),
  })
  .refine((q) => q.visibilityTimeoutSeconds >= 6 * q.functionTimeoutSeconds, {
    message: 'visibilityTimeoutSeconds must be at least 6 times functionTimeoutSeconds',
  });

const definitionsSchema = z.object({ queues: z.array(queueDefinitionSchema).min(1) });

export type QueueDefinition = z.infer<typeof queueDefinitionSchema>;

/** Validates a definitions document; throws with every problem listed. */
export function parseQueueDefinitions(document: unknown): QueueDefinition[] {
  const result = definitionsSchema.safeParse(document);
  if (!result.success) {
    throw new Error(
      `Invalid queue definitions:\n  - ${result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('\n  - ')}`,
    );
  }
  const names = result.data.queues.map((q) => q.name);
  const duplicate = names.find((name, index) => names.indexOf(name) !== index);
  if (duplicate) throw new Error(`Invalid queue definitions: queue ${duplicate} is defined twice`);
  return result.data.queues;
}

/** The project's queues (validated when this module loads: a broken file fails every build). */
export const queueDefinitions: readonly QueueDefinition[] = parseQueueDefinitions(raw);

/** Looks a logical queue name up; undefined for queues the definitions do not list (e.g. tests' own). */
export function findQueueDefinition(name: string): QueueDefinition | undefined {
  return queueDefinitions.find((q) => q.name === name);
}

/** The SQS name of a logical queue: stage prefix, name, `.fifo` for FIFO queues (SQS requires it). */
export function sqsQueueName(prefix: string, name: string, fifo: boolean): string {
  return `${prefix}${name}${fifo ? '.fifo' : ''}`;
}

/** The SQS name of a queue's dead-letter queue (FIFO when the source is: SQS requires it). */
export function sqsDeadLetterQueueName(prefix: string, name: string, fifo: boolean): string {
  return `${prefix}${name}-dlq${fifo ? '.fifo' : ''}`;
}
