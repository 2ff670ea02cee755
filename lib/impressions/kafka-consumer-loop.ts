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
import { ReceivedBatches, type ReceivedRun } from './received-batches';
import { configuredTopics, type ImpressionsConfig, type ImpressionTopic } from './config';

/**
 * Cells, landing page rows and invalid records that may wait, summed, while transactions run; beyond it
 * eachBatch waits. Records are summed on arrival and not kept, so the bound is on what the sums
 * hold (about 400 bytes a cell or row: some 20 MB), however many events they stand for.
 */
export const DEFAULT_MAX_WAITING_ROWS = 50_000;

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
   * Transactions in flight at once, each on its own connection and partitions (the database
   * pool needs at least as many connections); kafkajs also hands over this many partition
   * batches at once. Default 1.
   */
  partitionsConcurrently?: number;
  /**
   * Cells, landing page rows and invalid records that may wait for a transaction before consumption pauses
   * (memory bound). Default DEFAULT_MAX_WAITING_ROWS.
   */
  maxWaitingRows?: number;
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

  // Received batches wait here for the next transaction (lib/impressions/received-batches.ts);
  // at most `partitionsConcurrently` transactions run at once, each on partitions of its own.
  const received = new ReceivedBatches();
  const writing = new Set<string>();
  const maxWaiting = options.maxWaitingRows ?? DEFAULT_MAX_WAITING_ROWS;
  const transactions = options.partitionsConcurrently ?? 1;
  let running = 0;
  let wake: Array<() => void> = [];
  const notify = () => {
    const waiting = wake;
    wake = [];
    for (const resolve of waiting) resolve();
  };
  const settled = () => new Promise<void>((resolve) => wake.push(resolve));

  async function eachBatch({ batch, resolveOffset, heartbeat, isRunning, isStale }: EachBatchPayload): Promise<void> {
    if (fatal || stopping || !isRunning() || isStale() || batch.messages.length === 0) return;
    const topic = topicsByName.get(batch.topic);
    if (!topic) return;
    const messages: RawMessage[] = batch.messages.map((message) => ({ offset: Number(message.offset), value: message.value }));
    // Classified and summed here, while a transaction may be running (received-batches.ts).
    received.add(`${batch.topic}:${batch.partition}`, { consumerGroup: options.consumerGroup, topic, partition: batch.partition }, messages, Date.now());
    summary.received += messages.length;
    // Kafka fetches on from here while the database catches up; what Kafka is told is
    // committed (commitToKafka) never passes what the database stored.
    resolveOffset(String(messages[messages.length - 1]!.offset));
    startTransactions();
    while (received.size >= maxWaiting && !fatal && !stopping) await settled();
    await heartbeat();
  }

  function startTransactions(): void {
    while (running < transactions && received.events > 0 && !fatal) {
      const runs = received.take(writing);
      if (runs.length === 0) return;
      running += 1;
      for (const run of runs) writing.add(run.key);
      void applyRuns(runs).finally(() => {
        for (const run of runs) writing.delete(run.key);
        running -= 1;
        notify();
        startTransactions();
      });
    }
  }

  async function applyRuns(runs: ReceivedRun[]): Promise<void> {
    let results: BatchResult[];
    try {
      results = await options.loader.applyAggregated(runs.map((run) => run.batch), { onGap: 'report' });
      const retry = runs.flatMap((run, i) => (results[i]!.status === 'gap' && sought.get(run.key) === results[i]!.storedOffset ? [i] : []));
      if (retry.length > 0) {
        // We already sought to the stored offset and Kafka still starts later: the events in
        // between are gone (retention, compaction) or were transaction markers.
        const accepted = await options.loader.applyAggregated(retry.map((i) => runs[i]!.batch), { onGap: 'accept' });
        retry.forEach((i, j) => (results[i] = accepted[j]!));
      }
    } catch (error) {
      fatal ??= error instanceof InfrastructureError ? error : new InfrastructureError('impressions batch failed', { cause: toError(error) });
      received.clear();
      endSession();
      return;
    }
    for (const [i, run] of runs.entries()) settle(run, results[i]!);
    if (Date.now() - lastKafkaCommit >= options.kafkaCommitIntervalMs) await commitToKafka();
  }

  function settle({ key, batch, receivedAt }: ReceivedRun, result: BatchResult): void {
    summary.batches += 1;
    summary.applied += result.applied;
    summary.counted += result.counted;
    summary.ignored += result.ignored;
    summary.invalid += result.invalid;
    if (result.status === 'gap' || result.status === 'overlap' || (result.nextOffset !== null && result.nextOffset > batch.nextOffset)) {
      // Start again from the stored offset: back to events never applied, past a run of events
      // that were all applied before, or into a run summed across it (an overlap, as after a
      // restart from Kafka's older committed offset). What waits for the partition came from the old position.
      received.drop(key);
      try {
        consumer.seek({ topic: batch.topic.topic, partition: batch.partition, offset: String(result.nextOffset) });
        sought.set(key, result.nextOffset!);
        summary.seeks += 1;
      } catch (error) {
        // The session ended while the transaction ran (the run's last flush): the next one
        // starts at Kafka's committed offset, never past the stored one, and the stored offset decides.
        log.debug({ err: toError(error), topic: batch.topic.topic, partition: batch.partition }, 'seek after the session ended: left to the next run');
      }
    }
    if (result.status === 'skipped') summary.skippedBatches += 1;
    options.onBatch?.({ topic: batch.topic.topic, partition: batch.partition, received: batch.records, result, startedAt: receivedAt, settledAt: Date.now() });
    if (result.nextOffset !== null) pendingCommits.set(key, { topic: batch.topic.topic, partition: batch.partition, offset: String(result.nextOffset) });
  }

  /** Waits until every received batch is applied (or the run failed). */
  async function flush(): Promise<void> {
    startTransactions();
    while (!fatal && (running > 0 || received.events > 0)) {
      await settled();
      startTransactions();
    }
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
    notify();
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
      await flush();
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
