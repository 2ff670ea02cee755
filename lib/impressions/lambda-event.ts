/**
 * The Lambda self-managed Kafka trigger: the event source mapping polls the topics and
 * invokes the function with records grouped under `topic-partition` keys, values base64
 * encoded. The groups go through the same effectively-once batch commit as the consumer
 * loop, all in one transaction. When the invocation fails, Lambda delivers the same records again; the stored
 * offsets make that harmless.
 */
import { MalformedMessageError } from '../errors';
import type { BatchResult, ImpressionsLoader, RawMessage, SourceBatch } from './batch-commit';
import type { ImpressionTopic } from './config';

/** One record of a self-managed Kafka event (the fields this adapter reads). */
export interface KafkaEventRecord {
  topic: string;
  partition: number;
  offset: number;
  timestamp?: number;
  timestampType?: string;
  key?: string | null;
  /** Base64 of the record value; absent or null for a tombstone. */
  value?: string | null;
  headers?: unknown[];
}

/** The invocation payload of a `SelfManagedKafka` (or `aws:kafka`) event source mapping. */
export interface SelfManagedKafkaEvent {
  eventSource?: string;
  bootstrapServers?: string;
  records: Record<string, KafkaEventRecord[]>;
}

export interface KafkaEventSummary {
  batches: number;
  received: number;
  applied: number;
  counted: number;
  ignored: number;
  invalid: number;
  /** Topics in the event that the loader is not configured for (their records are left alone). */
  unknownTopics: string[];
}

/**
 * Applies every partition batch of the event. The stored offset is authoritative and the
 * mapping cannot be told to seek, so a batch that starts after the stored offset is applied
 * with a warning (its predecessors are gone from Kafka or were never in this group's reach).
 */
export async function loadKafkaEvent(
  loader: ImpressionsLoader,
  event: SelfManagedKafkaEvent,
  { consumerGroup, topics }: { consumerGroup: string; topics: ImpressionTopic[] },
): Promise<KafkaEventSummary> {
  if (!event || typeof event.records !== 'object' || event.records === null) {
    throw new MalformedMessageError('not a Kafka event: records missing');
  }
  const topicsByName = new Map(topics.map((topic) => [topic.topic, topic]));
  const summary: KafkaEventSummary = { batches: 0, received: 0, applied: 0, counted: 0, ignored: 0, invalid: 0, unknownTopics: [] };
  const batches: SourceBatch[] = [];
  for (const records of Object.values(event.records)) {
    if (!Array.isArray(records) || records.length === 0) continue;
    const { topic: topicName, partition } = records[0]!;
    const topic = topicsByName.get(topicName);
    if (!topic) {
      if (!summary.unknownTopics.includes(topicName)) summary.unknownTopics.push(topicName);
      continue;
    }
    const messages: RawMessage[] = [...records]
      .sort((a, b) => a.offset - b.offset)
      .map((record) => ({ offset: record.offset, value: record.value ? Buffer.from(record.value, 'base64') : null }));
    batches.push({ consumerGroup, topic, partition, messages });
  }
  // Every partition of the invocation in one transaction: cells they share are written once.
  const results: BatchResult[] = batches.length > 0 ? await loader.applyBatches(batches, { onGap: 'accept' }) : [];
  for (const [i, result] of results.entries()) {
    summary.batches += 1;
    summary.received += batches[i]!.messages.length;
    summary.applied += result.applied;
    summary.counted += result.counted;
    summary.ignored += result.ignored;
    summary.invalid += result.invalid;
  }
  return summary;
}
