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
  /** Stops the run early (SIGTERM in a long-running process). */
  signal?: AbortSignal;
  logger?: Logger;
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
  let wake: () => void = () => undefined;
  const finished = new Promise<void>((resolve) => (wake = resolve));

  const consumer: Consumer = options.kafka.consumer({
    groupId: options.consumerGroup,
    sessionTimeout: options.sessionTimeoutMs,
    rebalanceTimeout: Math.max(options.sessionTimeoutMs, 5000),
    heartbeatInterval: Math.max(100, Math.min(3000, Math.floor(options.sessionTimeoutMs / 10))),
    maxWaitTimeInMs: 1000,
  });
  consumer.on(consumer.events.CRASH, ({ payload }) => {
    if (!payload.restart) {
      fatal ??= new InfrastructureError('Kafka consumer crashed', { cause: payload.error });
      wake();
    }
  });

  async function eachBatch({ batch, resolveOffset, heartbeat, isRunning, isStale }: EachBatchPayload): Promise<void> {
    if (fatal || !isRunning() || isStale() || batch.messages.length === 0) return;
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
        log.warn({ topic: batch.topic, partition: batch.partition, storedOffset: result.storedOffset, firstOffset: messages[0]!.offset }, 'offset gap accepted');
        result = await options.loader.applyBatch(input, { onGap: 'accept' });
      }
    } catch (error) {
      fatal ??= error instanceof InfrastructureError ? error : new InfrastructureError('impressions batch failed', { cause: toError(error) });
      wake();
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
    if (result.nextOffset !== null) {
      try {
        await consumer.commitOffsets([{ topic: batch.topic, partition: batch.partition, offset: String(result.nextOffset) }]);
      } catch (error) {
        log.debug({ err: toError(error), topic: batch.topic, partition: batch.partition }, 'Kafka offset commit failed (the stored offset is what counts)');
      }
    }
    await heartbeat();
  }

  const onAbort = () => wake();
  options.signal?.addEventListener('abort', onAbort);
  const timer = options.timeLimitMs > 0 ? setTimeout(wake, options.timeLimitMs) : undefined;
  try {
    await consumer.connect();
    await consumer.subscribe({ topics: options.topics.map((topic) => topic.topic), fromBeginning: options.startFrom === 'earliest' });
    await consumer.run({ autoCommit: false, eachBatchAutoResolve: false, partitionsConsumedConcurrently: 1, eachBatch });
    if (!options.signal?.aborted) await finished;
  } catch (error) {
    fatal ??= new InfrastructureError('Kafka consumer could not start', { cause: toError(error) });
  } finally {
    clearTimeout(timer);
    options.signal?.removeEventListener('abort', onAbort);
    await consumer.disconnect().catch((error) => log.warn({ err: toError(error) }, 'Kafka consumer did not disconnect cleanly'));
  }
  summary.durationMs = Date.now() - started;
  if (fatal) {
    log.error({ err: fatal, ...summary }, 'impressions consumer stopped on a failure');
    throw fatal;
  }
  log.info(summary, 'impressions consumer run finished');
  return summary;
}

/** The run options that come from configuration, for the scheduled function and long-running processes. */
export function consumeOptionsFromConfig(
  config: Pick<
    ImpressionsConfig,
    'IMPRESSIONS_CONSUMER_GROUP' | 'IMPRESSIONS_BANNER_TOPICS' | 'IMPRESSIONS_LANDING_PAGE_TOPICS' | 'IMPRESSIONS_TIME_LIMIT' | 'IMPRESSIONS_START_FROM' | 'IMPRESSIONS_SESSION_TIMEOUT_MS'
  >,
): Pick<ConsumeImpressionsOptions, 'consumerGroup' | 'topics' | 'timeLimitMs' | 'startFrom' | 'sessionTimeoutMs'> {
  return {
    consumerGroup: config.IMPRESSIONS_CONSUMER_GROUP,
    topics: configuredTopics(config),
    timeLimitMs: config.IMPRESSIONS_TIME_LIMIT * 1000,
    startFrom: config.IMPRESSIONS_START_FROM,
    sessionTimeoutMs: config.IMPRESSIONS_SESSION_TIMEOUT_MS,
  };
}
