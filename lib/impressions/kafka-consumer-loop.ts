/**
 * The Kafka consumer-group trigger: consumes the impression topics with a kafkajs consumer
 * group until a time limit, handing each partition batch to the effectively-once commit.
 *
 * Kafka's own committed offsets are only a hint here (committed after the database, best
 * effort): the offsets stored with the counts decide. After a crash or a rebalance, a
 * partition restarts at Kafka's committed offset, which is never ahead of the stored one, and
 * the events that were already applied are dropped inside the batch transaction. Should Kafka
 * ever start a partition after the stored offset, the loop seeks back to it.
 */
import type { Consumer, EachBatchPayload, Kafka } from 'kafkajs';
import { InfrastructureError, toError } from '../errors';
import { log as rootLog, type Logger } from '../log';
import type { BatchResult, ImpressionsLoader, RawMessage } from './batch-commit';
import { configuredTopics, type ImpressionsConfig, type ImpressionTopic } from './config';

/** Times a run rejoins the group after kafkajs gave up, before it fails. */
const MAX_RESTARTS = 5;

export interface ConsumeImpressionsOptions {
  kafka: Kafka;
  loader: ImpressionsLoader;
  consumerGroup: string;
  topics: ImpressionTopic[];
  /** Stop after this long; 0 runs until `signal` aborts. */
  timeLimitMs: number;
  /** Where partitions without any committed offset start. */
  startFrom: 'earliest' | 'latest';
  sessionTimeoutMs: number;
  /**
   * How often the consumer tells Kafka how far it has got. The stored offsets decide what is
   * applied; Kafka's only save rereading after a rebalance, so committing them per batch
   * would cost a round trip for little.
   */
  kafkaCommitIntervalMs: number;
  /** Stops the run early (SIGTERM in a long-running process). */
  signal?: AbortSignal;
  /**
   * Partition batches committed at the same time (each in its own transaction and
   * connection); the database pool needs at least as many connections. Default 1.
   */
  partitionsConcurrently?: number;
  /** Told about every batch once it is settled (progress reports, the benchmark). */
  onBatch?: (report: BatchReport) => void;
  logger?: Logger;
}

/** One settled batch, for `onBatch`. */
export interface BatchReport {
  topic: string;
  partition: number;
  received: number;
  result: BatchResult;
  /** When the batch reached the loader and when it was settled (epoch ms). */
  startedAt: number;
  settledAt: number;
}

/** What one run did. */
export interface ConsumeSummary {
  batches: number;
  /** Records received from Kafka, redeliveries included. */
  received: number;
  /** Records newly applied to the database. */
  applied: number;
  counted: number;
  ignored: number;
  invalid: number;
  /** Batches whose records had all been applied before. */
  skippedBatches: number;
  /** Times the loop sought back to a stored offset. */
  seeks: number;
  durationMs: number;
}

/**
 * Joins the group, consumes until the time limit (or the signal), leaves the group and
 * returns what was done. Rejects with an InfrastructureError when the database or Kafka
 * failed; everything applied before the failure stays applied, nothing is half-applied.
 */
export async function consumeImpressions(options: ConsumeImpressionsOptions): Promise<ConsumeSummary> {
  const log = (options.logger ?? rootLog).child({ component: 'impressions-consumer', group: options.consumerGroup });
  const topicsByName = new Map(options.topics.map((topic) => [topic.topic, topic]));
  const started = Date.now();
  const summary: ConsumeSummary = { batches: 0, received: 0, applied: 0, counted: 0, ignored: 0, invalid: 0, skippedBatches: 0, seeks: 0, durationMs: 0 };
  const sought = new Map<string, number>();
  let fatal: Error | undefined;
  let stopping = false;
  let endSession: () => void = () => undefined;
  let consumer: Consumer;
  const pendingCommits = new Map<string, { topic: string; partition: number; offset: string }>();
  let lastKafkaCommit = Date.now();

  async function eachBatch({ batch, resolveOffset, heartbeat, isRunning, isStale }: EachBatchPayload): Promise<void> {
    if (fatal || !isRunning() || isStale() || batch.messages.length === 0) return;
    const startedAt = Date.now();
    const topic = topicsByName.get(batch.topic);
    if (!topic) return;
    const key = `${batch.topic}:${batch.partition}`;
    const messages: RawMessage[] = batch.messages.map((message) => ({ offset: Number(message.offset), value: message.value }));
    const input = { consumerGroup: options.consumerGroup, topic, partition: batch.partition, messages };
    let result: BatchResult;
    try {
      result = await options.loader.applyBatch(input, { onGap: 'report' });
      if (result.status === 'gap' && sought.get(key) === result.storedOffset) {
        // We already sought to the stored offset and Kafka still starts later: the events in
        // between are gone (retention, compaction) or were transaction markers.
        result = await options.loader.applyBatch(input, { onGap: 'accept' });
      }
    } catch (error) {
      fatal ??= error instanceof InfrastructureError ? error : new InfrastructureError('impressions batch failed', { cause: toError(error) });
      endSession();
      return;
    }
    summary.batches += 1;
    summary.received += messages.length;
    summary.applied += result.applied;
    summary.counted += result.counted;
    summary.ignored += result.ignored;
    summary.invalid += result.invalid;

    const lastOffset = messages[messages.length - 1]!.offset;
    if (result.status === 'gap' || (result.nextOffset !== null && result.nextOffset > lastOffset + 1)) {
      // Start again from the stored offset: back to events never applied, or past a run of
      // events that were all applied before.
      consumer.seek({ topic: batch.topic, partition: batch.partition, offset: String(result.nextOffset) });
      sought.set(key, result.nextOffset!);
      summary.seeks += 1;
    } else {
      resolveOffset(String(lastOffset));
    }
    if (result.status === 'skipped') summary.skippedBatches += 1;
    options.onBatch?.({ topic: batch.topic, partition: batch.partition, received: messages.length, result, startedAt, settledAt: Date.now() });
    if (result.nextOffset !== null) pendingCommits.set(key, { topic: batch.topic, partition: batch.partition, offset: String(result.nextOffset) });
    if (Date.now() - lastKafkaCommit >= options.kafkaCommitIntervalMs) await commitToKafka();
    await heartbeat();
  }

  /** Tells Kafka how far the database has got, so a partition's next owner rereads little. Best effort. */
  async function commitToKafka(): Promise<void> {
    lastKafkaCommit = Date.now();
    if (pendingCommits.size === 0) return;
    const offsets = [...pendingCommits.values()];
    pendingCommits.clear();
    try {
      await consumer.commitOffsets(offsets);
    } catch (error) {
      log.debug({ err: toError(error) }, 'Kafka offset commit failed (the stored offsets are what counts)');
    }
  }

  const stop = () => {
    stopping = true;
    endSession();
  };
  if (options.signal?.aborted) stopping = true;
  options.signal?.addEventListener('abort', stop);
  const timer = options.timeLimitMs > 0 ? setTimeout(stop, options.timeLimitMs) : undefined;
  let crashes = 0;
  try {
    while (!stopping && !fatal) {
      const crash = await runSession();
      if (!crash || stopping || fatal) break;
      // kafkajs gives up on errors it deems non-retriable (the mock cluster answers some
      // races in a rebalance with INVALID_REQUEST): join the group again with a new consumer.
      crashes += 1;
      if (crashes > MAX_RESTARTS) {
        fatal = new InfrastructureError('Kafka consumer crashed repeatedly', { cause: crash });
        break;
      }
      log.warn({ err: crash, crashes }, 'Kafka consumer crashed; rejoining the group');
      await new Promise((resolve) => setTimeout(resolve, Math.min(5000, 500 * crashes)));
    }
  } finally {
    clearTimeout(timer);
    options.signal?.removeEventListener('abort', stop);
  }
  summary.durationMs = Date.now() - started;
  if (fatal) {
    log.error({ err: fatal, ...summary }, 'impressions consumer stopped on a failure');
    throw fatal;
  }
  log.info(summary, 'impressions consumer run finished');
  return summary;

  /** One membership in the group: from joining until the run stops or kafkajs gives up (returns its error). */
  async function runSession(): Promise<Error | undefined> {
    let crash: Error | undefined;
    const ended = new Promise<void>((resolve) => (endSession = resolve));
    consumer = options.kafka.consumer({
      groupId: options.consumerGroup,
      sessionTimeout: options.sessionTimeoutMs,
      rebalanceTimeout: Math.max(options.sessionTimeoutMs, 5000),
      heartbeatInterval: Math.max(100, Math.min(3000, Math.floor(options.sessionTimeoutMs / 10))),
      maxWaitTimeInMs: 1000,
    });
    consumer.on(consumer.events.CRASH, ({ payload }) => {
      if (!payload.restart) {
        crash = payload.error;
        endSession();
      }
    });
    try {
      await consumer.connect();
      await consumer.subscribe({ topics: options.topics.map((topic) => topic.topic), fromBeginning: options.startFrom === 'earliest' });
      await consumer.run({ autoCommit: false, eachBatchAutoResolve: false, partitionsConsumedConcurrently: options.partitionsConcurrently ?? 1, eachBatch });
      if (!stopping && !fatal && !crash) await ended;
    } catch (error) {
      crash ??= toError(error);
    } finally {
      await commitToKafka();
      await consumer.disconnect().catch((error) => log.warn({ err: toError(error) }, 'Kafka consumer did not disconnect cleanly'));
    }
    return crash;
  }
}

/** The run options that come from configuration, for the scheduled function and long-running processes. */
export function consumeOptionsFromConfig(
  config: Pick<
    ImpressionsConfig,
    | 'IMPRESSIONS_CONSUMER_GROUP'
    | 'IMPRESSIONS_BANNER_TOPICS'
    | 'IMPRESSIONS_LANDING_PAGE_TOPICS'
    | 'IMPRESSIONS_TIME_LIMIT_SECONDS'
    | 'IMPRESSIONS_START_FROM'
    | 'IMPRESSIONS_SESSION_TIMEOUT_MS'
    | 'IMPRESSIONS_KAFKA_COMMIT_INTERVAL_MS'
    | 'IMPRESSIONS_PARTITIONS_CONCURRENTLY'
  >,
): Pick<ConsumeImpressionsOptions, 'consumerGroup' | 'topics' | 'timeLimitMs' | 'startFrom' | 'sessionTimeoutMs' | 'kafkaCommitIntervalMs' | 'partitionsConcurrently'> {
  return {
    consumerGroup: config.IMPRESSIONS_CONSUMER_GROUP,
    topics: configuredTopics(config),
    timeLimitMs: config.IMPRESSIONS_TIME_LIMIT_SECONDS * 1000,
    startFrom: config.IMPRESSIONS_START_FROM,
    sessionTimeoutMs: config.IMPRESSIONS_SESSION_TIMEOUT_MS,
    kafkaCommitIntervalMs: config.IMPRESSIONS_KAFKA_COMMIT_INTERVAL_MS,
    partitionsConcurrently: config.IMPRESSIONS_PARTITIONS_CONCURRENTLY,
  };
}
