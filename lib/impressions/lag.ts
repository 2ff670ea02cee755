/**
 * How far the impressions loader is behind, per topic and partition: Kafka's end offset (the
 * high watermark: the offset the next event will get) minus the next offset the loader stored
 * with its counts (offset-store.ts). The stored offsets are what counts: they commit with the
 * counts, whereas the group's offsets in Kafka are only a hint (docs/architecture.md §7.3).
 *
 * A partition the loader has never applied a batch of has no stored offset: its lag is unknown
 * (null) rather than a guess, and a stored offset of a partition Kafka no longer reports (a
 * topic no longer configured, or deleted) is kept with its end offset unknown.
 */
import type { Kafka } from 'kafkajs';
import type { Db } from '../db/client';
import { InfrastructureError, toError } from '../errors';
import { readStoredOffsets, type StoredOffset } from './offset-store';

/** Kafka's end offsets of `topics`, per partition. */
export type EndOffsetReader = (topics: string[]) => Promise<Array<{ topic: string; partition: number; endOffset: number }>>;

/** Kafka did not answer for its end offsets within the reader's time. */
export class KafkaUnavailableError extends InfrastructureError {}

/** One partition's position. */
export interface PartitionLag {
  topic: string;
  partition: number;
  /** Kafka's high watermark; null when Kafka does not report the partition. */
  endOffset: number | null;
  /** The loader's stored next offset; null when it has applied nothing of the partition yet. */
  nextOffset: number | null;
  /** Events not yet applied; null when either side is unknown. */
  lag: number | null;
  countedEvents: number;
  ignoredEvents: number;
  invalidEvents: number;
  updatedAt: Date | null;
}

/** What the lag page and the metrics show: every partition, or the stored side alone with why Kafka is missing. */
export interface ImpressionsLag {
  partitions: PartitionLag[];
  /** Set when Kafka could not be asked: the end offsets (and so the lag) are all unknown. */
  kafkaError?: string;
}

const ADMIN_TIMEOUT_MS = 5000;

/**
 * Reads end offsets through kafkajs's admin client, connected for the one call: the console runs
 * rarely, and a Lambda must not keep a broker connection between invocations. A cluster that
 * does not answer within 5 s fails with KafkaUnavailableError instead of holding the page.
 */
export function kafkaEndOffsets(kafka: Kafka, timeoutMs = ADMIN_TIMEOUT_MS): EndOffsetReader {
  return async (topics) => {
    const admin = kafka.admin({ retry: { retries: 1, initialRetryTime: 100, maxRetryTime: 500 } });
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new KafkaUnavailableError(`Kafka did not report end offsets within ${timeoutMs} ms`)), timeoutMs);
    });
    const read = async () => {
      await admin.connect();
      const out: Array<{ topic: string; partition: number; endOffset: number }> = [];
      for (const topic of topics) for (const o of await admin.fetchTopicOffsets(topic)) out.push({ topic, partition: o.partition, endOffset: Number(o.high) });
      return out;
    };
    try {
      return await Promise.race([read(), timeout]);
    } catch (error) {
      if (error instanceof KafkaUnavailableError) throw error;
      throw new KafkaUnavailableError(`Kafka did not report end offsets: ${toError(error).message.slice(0, 200)}`, { cause: error });
    } finally {
      clearTimeout(timer);
      await admin.disconnect().catch(() => undefined);
    }
  };
}

/** The loader's lag per topic and partition: configured topics from Kafka, joined with the stored offsets of `consumerGroup`. */
export async function impressionsLag(db: Db, endOffsets: EndOffsetReader, consumerGroup: string, topics: string[]): Promise<ImpressionsLag> {
  const [stored, ends] = await Promise.all([
    readStoredOffsets(db, consumerGroup),
    endOffsets(topics).then(
      (rows) => ({ rows, error: undefined }),
      (error: unknown) => {
        if (!(error instanceof KafkaUnavailableError)) throw error;
        return { rows: [], error: error.message };
      },
    ),
  ]);
  const key = (topic: string, partition: number) => `${topic}\u0000${partition}`;
  const storedByKey = new Map<string, StoredOffset>(stored.map((s) => [key(s.topic, s.partition), s]));
  const partitions: PartitionLag[] = ends.rows.map(({ topic, partition, endOffset }) => {
    const s = storedByKey.get(key(topic, partition));
    storedByKey.delete(key(topic, partition));
    return lagOf(topic, partition, endOffset, s);
  });
  for (const s of storedByKey.values()) partitions.push(lagOf(s.topic, s.partition, null, s));
  partitions.sort((a, b) => a.topic.localeCompare(b.topic) || a.partition - b.partition);
  return ends.error === undefined ? { partitions } : { partitions, kafkaError: ends.error };
}

function lagOf(topic: string, partition: number, endOffset: number | null, stored: StoredOffset | undefined): PartitionLag {
  const nextOffset = stored?.nextOffset ?? null;
  return {
    topic,
    partition,
    endOffset,
    nextOffset,
    lag: endOffset === null || nextOffset === null ? null : Math.max(0, endOffset - nextOffset),
    countedEvents: stored?.countedEvents ?? 0,
    ignoredEvents: stored?.ignoredEvents ?? 0,
    invalidEvents: stored?.invalidEvents ?? 0,
    updatedAt: stored?.updatedAt ?? null,
  };
}
