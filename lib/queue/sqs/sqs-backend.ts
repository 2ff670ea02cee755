/**
 * The queue contract (lib/queue/types.ts) on Amazon SQS, for deployments on AWS.
 *
 * How the contract maps onto SQS:
 * - a lease is a ReceiveMessage with a visibility timeout; the receipt is the ReceiptHandle;
 * - ack is DeleteMessage(Batch), preceded by a ChangeMessageVisibility(Batch) that proves the
 *   lease is still held: SQS deletes silently with a stale handle, the contract must reject it
 *   (the check also renews the lease, so it cannot run out between the check and the delete);
 * - release and extend are ChangeMessageVisibility; the delivery count is ApproximateReceiveCount
 *   and `maxReceiveCount` is the queue's RedrivePolicy: SQS itself moves a message that is
 *   received once too often into the dead-letter queue (DLQ);
 * - dead letters are read, deleted and redriven by receiving from the DLQ (SQS has no "delete by
 *   message id"); redrive sends the bodies back to the source queue, paced.
 *
 * Queue names: `${prefix}${name}` (plus `.fifo` for FIFO queues), the DLQ `${prefix}${name}-dlq`.
 * Which queues are FIFO comes from queues/definitions.json; queues not listed there are standard
 * unless `defaultFifo` says otherwise. FIFO queues use one message group per queue (strict order,
 * one consumer at a time) and an explicit deduplication id per push (content-based deduplication
 * off: two identical donations are two messages).
 *
 * What SQS cannot do, and what this backend does instead (declared in `capabilities`; see also
 * the README section):
 * - standard queues do not keep order: a released or expired message goes back "somewhere";
 * - there is no non-consuming long poll: waitForMessage polls the queue's message counter
 *   (receiving would count a delivery towards maxReceiveCount);
 * - there is no read without a receive, and every receive counts towards maxReceiveCount: peek
 *   rejects with QueueCapabilityError rather than dead-letter messages by looking at them;
 * - a release with a delay is a ChangeMessageVisibility: the message stays "in flight" in stats
 *   until it is due, not "delayed" (that counter holds only messages pushed with a delay);
 * - the age of the oldest message is a CloudWatch metric, not a queue attribute: stats report null;
 * - per-message delays do not exist on FIFO queues: push with delaySeconds is refused there;
 * - AWS takes one PurgeQueue per queue per minute and refuses the next with PurgeQueueInProgress,
 *   while the one in progress deletes only what was sent before it: purge then receives and
 *   deletes what is left, and purges again once SQS takes it.
 */
import { randomUUID } from 'node:crypto';
import {
  ChangeMessageVisibilityBatchCommand,
  ChangeMessageVisibilityCommand,
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  PurgeQueueCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SendMessageCommand,
  type Message,
  type MessageSystemAttributeName,
  type SendMessageBatchRequestEntry,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { toError } from '../../errors';
import { parseJsonObject } from '../../json-object';
import { createLogger, type Logger } from '../../log';
import { MalformedQueueMessageError, QueueCapabilityError, QueueUnavailableError, QueueUsageError, StaleReceiptError } from '../errors';
import { assertMessageFits } from '../message-size';
import { currentSourceIdentity, needsEnqueuedTime, withSourceFields, type SourceIdentity } from '../source-fields';
import type {
  BatchLoopOutcome,
  BatchOutcome,
  ConsumeBatchesOptions,
  ConsumeBatchesResult,
  DeadLetter,
  Delivery,
  GroupedMessage,
  LeaseOptions,
  MessageBody,
  PopBatchResult,
  PopResult,
  PushOptions,
  QueueBackend,
  QueueCapabilities,
  QueueSettings,
  QueueStats,
  RedriveOptions,
} from '../types';
import { queueConfig } from '../config';
import { consumeBatchesWith, popAtomicBatchWith, type BatchOperations } from '../pop-atomic-batch';
import { createSqsClient } from './client';
import { sqsSettings, type SqsSettings } from './config';
import { findQueueDefinition, queueDefinitions, sqsQueueName } from './definitions';
import { ENQUEUED_AT_ATTRIBUTE, sqsDelivery } from './enqueued-time';
import { isStaleReceipt, sqsErrorCode, toQueueError } from './errors';
import { provisionQueue } from './provision';
import { consecutiveChunks } from '../consecutive-chunks';

/** SQS's limits: 10 entries per batch call, 256 KiB per batch request. */
const SQS_BATCH_MAX = 10;
const SQS_BATCH_BYTES = 256 * 1024;
/** How long a dead letter stays invisible while it is being moved or deleted. */
const DEAD_LETTER_WORK_SECONDS = 30;
/** Lease renewal used by ack's lease check; the delete follows at once. */
const ACK_CHECK_SECONDS = 30;
/** How long purge keeps at a queue whose earlier purge is in progress: AWS takes a new one after 60 s. */
const PURGE_IN_PROGRESS_LIMIT_MS = 75_000;

export interface SqsQueueBackendOptions {
  /** A client to use (tests, shared clients); built from `settings` otherwise. */
  client?: SQSClient;
  /** Endpoint, region, prefix…; from the environment (sqsSettings()) when absent. */
  settings?: Partial<SqsSettings>;
  /**
   * Settings of every queue: maxMessageBytes for pushes, the others for queues the backend creates
   * itself (create-on-first-use, local only; a queue in queues/definitions.json keeps its own).
   */
  defaults?: Partial<QueueSettings>;
  /** Per-queue overrides of `defaults`, by logical queue name. */
  queues?: Record<string, Partial<QueueSettings>>;
  /** Whether queues absent from queues/definitions.json are FIFO queues (default false). */
  defaultFifo?: boolean;
  identity?: SourceIdentity;
  logger?: Logger;
}

interface ResolvedQueue {
  name: string;
  url: string;
  fifo: boolean;
  /** FIFO queues: SQS derives a missing deduplication id from the body (the queue's ContentBasedDeduplication). */
  contentBasedDeduplication: boolean;
  /** Undefined when the queue has no RedrivePolicy: then it has no dead letters. */
  deadLetterUrl?: string;
  /** The RedrivePolicy's maxReceiveCount: how often every dead letter was delivered. */
  maxReceiveCount?: number;
}

/** The contract on SQS; one instance per process, clients built once (handlers: at module scope). */
export class SqsQueueBackend implements QueueBackend {
  readonly capabilities: QueueCapabilities;
  private readonly client: SQSClient;
  private readonly ownsClient: boolean;
  private readonly settings: SqsSettings;
  private readonly defaults: QueueSettings;
  private readonly perQueue: Record<string, Partial<QueueSettings>>;
  private readonly defaultFifo: boolean;
  private readonly identity: SourceIdentity;
  private readonly logger: Logger;
  private readonly queues = new Map<string, Promise<ResolvedQueue>>();
  private readonly waiters = new Set<() => void>();
  /** When waitForMessage last answered true, per queue (see waitForMessage). */
  private readonly lastWoken = new Map<string, number>();
  private readonly receiveWaitSeconds: number;
  private closed = false;

  constructor(options: SqsQueueBackendOptions = {}) {
    const fromEnv = options.settings && isComplete(options.settings) ? options.settings : { ...sqsSettings(), ...options.settings };
    this.settings = fromEnv as SqsSettings;
    this.client = options.client ?? createSqsClient(this.settings);
    this.receiveWaitSeconds = this.settings.receiveWaitSeconds ?? (this.settings.endpoint === undefined ? 1 : 0);
    this.ownsClient = !options.client;
    const config = queueConfig();
    this.defaults = {
      visibilityTimeoutSeconds: options.defaults?.visibilityTimeoutSeconds ?? config.QUEUE_VISIBILITY_TIMEOUT_SECONDS,
      maxReceiveCount: options.defaults?.maxReceiveCount ?? config.QUEUE_MAX_RECEIVE_COUNT,
      maxMessageBytes: options.defaults?.maxMessageBytes ?? config.QUEUE_MAX_MESSAGE_BYTES,
    };
    this.perQueue = options.queues ?? {};
    this.defaultFifo = options.defaultFifo ?? false;
    this.capabilities = {
      // Only a FIFO queue (one message group here) redelivers in order, and the promise is per
      // backend: it holds only when every queue this backend can reach is a FIFO queue.
      orderedRedelivery: this.defaultFifo && queueDefinitions.every((definition) => definition.fifo),
      reportsOldestAge: false,
      peek: false,
      delayedReleaseCountsAsDelayed: false,
      // FIFO queues keep the order of each MessageGroupId and lock a group while one of its
      // messages is in flight: a partitioned queue is one FIFO queue grouped by its key.
      messageGroups: true,
      // Standard queues have no deduplication; a FIFO queue's lasts five minutes, too short to count on.
      idempotentPush: false,
      // Every receive counts in ApproximateReceiveCount, and nothing takes a count back.
      leaseAheadUncounted: false,
    };
    this.identity = options.identity ?? currentSourceIdentity();
    this.logger = options.logger ?? createLogger({ component: 'queue-sqs' });
  }

  async push(queue: string, message: MessageBody, options: PushOptions = {}): Promise<void> {
    const body = this.serialise(message, options);
    assertMessageFits(queue, body, this.settingsOf(queue).maxMessageBytes);
    const target = await this.resolve(queue);
    const delay = this.delayFor(target, options);
    try {
      await this.client.send(
        new SendMessageCommand({ QueueUrl: target.url, MessageBody: body, ...delay, ...this.fifoFields(target) }),
      );
    } catch (error) {
      throw toQueueError(error, 'push', queue);
    }
  }

  async pushBatch(queue: string, messages: MessageBody[], options: PushOptions = {}): Promise<void> {
    if (messages.length === 0) return;
    const bodies = messages.map((message) => this.serialise(message, options));
    // All of them before the first chunk goes out: a refused batch stores none.
    const { maxMessageBytes } = this.settingsOf(queue);
    for (const body of bodies) assertMessageFits(queue, body, maxMessageBytes);
    const target = await this.resolve(queue);
    const delay = this.delayFor(target, options);
    for (const chunk of chunkBySize(bodies)) {
      const entries: SendMessageBatchRequestEntry[] = chunk.map((body, index) => ({
        Id: String(index),
        MessageBody: body,
        ...delay,
        ...this.fifoFields(target),
      }));
      await this.sendBatch(target, entries, 'pushBatch');
    }
  }

  /**
   * The partitioned queue's push on SQS: one FIFO queue, MessageGroupId = the group (the key), so
   * that SQS keeps each key's order and hands each key to one consumer at a time. A message
   * without a deduplication id gets none on a queue with content-based deduplication (SQS hashes
   * the body) and a fresh one otherwise. Refused on a standard queue, which has no groups.
   */
  async pushGrouped(queue: string, messages: GroupedMessage[], options: Pick<PushOptions, 'sourceType'> = {}): Promise<void> {
    if (messages.length === 0) return;
    const bodies = messages.map((message) => this.serialise(message.body, options));
    const { maxMessageBytes } = this.settingsOf(queue);
    for (const body of bodies) assertMessageFits(queue, body, maxMessageBytes);
    const target = await this.resolve(queue);
    if (!target.fifo) throw new QueueUsageError(`pushGrouped to ${queue}: message groups need a FIFO queue (declare it "fifo": true)`);
    const entries = bodies.map((body, index) => ({ body, group: messages[index]!.groupId, dedup: messages[index]!.deduplicationId }));
    // chunkBySize keeps the order, so each group's messages go out in push order.
    let sent = 0;
    for (const chunk of chunkBySize(bodies)) {
      const slice = entries.slice(sent, sent + chunk.length);
      sent += chunk.length;
      await this.sendBatch(
        target,
        slice.map((entry, index) => ({ Id: String(index), MessageBody: entry.body, ...this.fifoFields(target, entry.group, entry.dedup) })),
        'pushGrouped',
      );
    }
  }

  async popAtomic<T>(queue: string, callback: (body: MessageBody, delivery: Delivery) => Promise<T>): Promise<PopResult<T>> {
    const [delivery] = await this.lease(queue, { max: 1 });
    if (!delivery) return { status: 'empty' };
    const parsed = parseJsonObject(delivery.body);
    // Not run, still leased: the caller keeps the raw body safe, then acks (see the error's doc).
    if (!parsed.ok) throw new MalformedQueueMessageError(delivery, parsed.reason);
    let value: T;
    try {
      value = await callback(parsed.value, delivery);
    } catch (error) {
      await this.releaseQuietly(queue, delivery);
      throw error;
    }
    await this.ack(queue, delivery.receipt);
    return { status: 'done', value, delivery };
  }

  async popAtomicBatch(queue: string, max: number, callback: (deliveries: Delivery[]) => Promise<BatchOutcome>): Promise<PopBatchResult> {
    const { stale: _stale, ...result } = await popAtomicBatchWith(this.batchOperations(queue), max, callback);
    return result;
  }

  async consumeBatches(
    queue: string,
    next: (inFlight: number) => number,
    callback: (deliveries: Delivery[]) => Promise<BatchLoopOutcome>,
    options?: ConsumeBatchesOptions,
  ): Promise<ConsumeBatchesResult> {
    const { stale: _stale, ...result } = await consumeBatchesWith(this.batchOperations(queue), next, callback, options);
    return result;
  }

  /** SQS deletes and receives in separate calls: the acks go first, then the lease. */
  private batchOperations(queue: string): BatchOperations {
    return {
      leaseAfterAcks: async (count, acks) => {
        const stale = acks.length > 0 ? await this.ackBatch(queue, acks) : [];
        return { deliveries: await this.lease(queue, { max: count }), stale };
      },
      ackBatch: (receipts) => this.ackBatch(queue, receipts),
      releaseQuietly: async (deliveries) => {
        for (const delivery of deliveries) await this.releaseQuietly(queue, delivery);
      },
    };
  }


  async lease(queue: string, options: LeaseOptions = {}): Promise<Delivery[]> {
    const max = options.max ?? 1;
    if (!Number.isInteger(max) || max < 1) throw new QueueUsageError('lease: max must be a whole number of at least 1');
    if (options.ack && options.ack.length > 0) {
      const stale = await this.ackBatch(queue, options.ack);
      if (stale.length > 0) this.logger.warn({ queue, stale: stale.length }, 'piggybacked acks with expired leases were ignored');
    }
    const target = await this.resolve(queue);
    const deliveries: Delivery[] = [];
    while (deliveries.length < max) {
      const asked = Math.min(SQS_BATCH_MAX, max - deliveries.length);
      const messages = await this.receive(target, asked, options.visibilityTimeoutSeconds);
      deliveries.push(...messages.map((m) => toDelivery(queue, m)));
      // Fewer than asked: that is what was ready (another receive would only wait). FIFO: the group is now locked.
      if (messages.length < asked || target.fifo) break;
    }
    return deliveries;
  }

  async ack(queue: string, receipt: string): Promise<void> {
    const stale = await this.ackBatch(queue, [receipt]);
    if (stale.length > 0) throw new StaleReceiptError(`ack on ${queue}: the receipt no longer holds a lease`);
  }

  async ackBatch(queue: string, receipts: string[]): Promise<string[]> {
    if (receipts.length === 0) return [];
    const target = await this.resolve(queue);
    const stale: string[] = [];
    for (let start = 0; start < receipts.length; start += SQS_BATCH_MAX) {
      const chunk = receipts.slice(start, start + SQS_BATCH_MAX);
      const held = await this.holdLeases(target, chunk, stale);
      if (held.length > 0) await this.deleteBatch(target, held, 'ack');
    }
    return stale;
  }

  async release(queue: string, receipt: string, delaySeconds = 0): Promise<void> {
    await this.changeVisibility(queue, receipt, delaySeconds, 'release');
  }

  async extend(queue: string, receipt: string, seconds: number): Promise<void> {
    await this.changeVisibility(queue, receipt, seconds, 'extend');
  }

  async waitForMessage(queue: string, timeoutMs: number): Promise<boolean> {
    const target = await this.resolve(queue);
    const deadline = Date.now() + Math.max(0, timeoutMs);
    // The counter can say "messages" while a lease gets none (a locked FIFO group, an approximate
    // count): a caller looping lease → wait must then not spin, so a repeat wake waits one interval.
    const sinceLastWake = Date.now() - (this.lastWoken.get(queue) ?? 0);
    if (sinceLastWake < this.settings.waitPollMs) await this.sleep(Math.min(deadline - Date.now(), this.settings.waitPollMs - sinceLastWake));
    let pending = false;
    for (;;) {
      const counts = await this.attributes(target.url, ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesDelayed', 'ApproximateNumberOfMessagesNotVisible'], queue);
      // Delayed and in-flight messages become ready by themselves, but a queue may only recount
      // them when someone receives (the emulator does): after one more interval with such
      // messages waiting, "may be ready" is the honest answer, and the caller's lease finds out.
      if (Number(counts.ApproximateNumberOfMessages ?? 0) > 0 || pending) {
        this.lastWoken.set(queue, Date.now());
        return true;
      }
      pending = Number(counts.ApproximateNumberOfMessagesDelayed ?? 0) + Number(counts.ApproximateNumberOfMessagesNotVisible ?? 0) > 0;
      const left = deadline - Date.now();
      if (left <= 0 || this.closed) return false;
      await this.sleep(Math.min(left, this.settings.waitPollMs));
    }
  }

  async peek(queue: string, _count?: number): Promise<string[]> {
    // A receive would count as a delivery: a few peeks would dead-letter a message nobody consumed.
    throw new QueueCapabilityError(
      `peek on ${queue}: SQS cannot read a message without receiving it, and every receive counts towards maxReceiveCount`,
    );
  }

  async stats(queue: string): Promise<QueueStats> {
    const target = await this.resolve(queue);
    const names = ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible', 'ApproximateNumberOfMessagesDelayed'];
    const [main, dead] = await Promise.all([
      this.attributes(target.url, names, queue),
      target.deadLetterUrl ? this.attributes(target.deadLetterUrl, names, queue) : Promise.resolve({} as Record<string, string>),
    ]);
    const n = (attrs: Record<string, string>, name: string) => Number(attrs[name] ?? 0);
    return {
      ready: n(main, names[0]!),
      inFlight: n(main, names[1]!),
      delayed: n(main, names[2]!),
      dead: n(dead, names[0]!) + n(dead, names[1]!) + n(dead, names[2]!),
      // SQS publishes ApproximateAgeOfOldestMessage to CloudWatch only; it is no queue attribute.
      oldestAgeSeconds: null,
    };
  }

  async readDeadLetters(queue: string, max: number): Promise<DeadLetter[]> {
    const target = await this.resolve(queue);
    if (!target.deadLetterUrl || max <= 0) return [];
    const dlq: ResolvedQueue = { name: `${queue} (dead letters)`, url: target.deadLetterUrl, fifo: target.fifo, contentBasedDeduplication: false };
    const held: Message[] = [];
    try {
      // Leased briefly so that repeated receives see different messages, then released at once:
      // the dead letters stay where they are, visible, for the caller's delete.
      while (held.length < max) {
        const asked = Math.min(SQS_BATCH_MAX, max - held.length);
        const batch = await this.receive(dlq, asked, DEAD_LETTER_WORK_SECONDS);
        held.push(...batch);
        if (batch.length < asked || dlq.fifo) break;
      }
    } finally {
      await this.releaseBatchQuietly(dlq, held.map((m) => m.ReceiptHandle!));
    }
    return held.map((m) => {
      const delivery = toDelivery(queue, m);
      // The DLQ counts our reads too; the deliveries that dead-lettered it are maxReceiveCount.
      const receiveCount = Math.min(delivery.receiveCount, target.maxReceiveCount ?? delivery.receiveCount);
      return { id: delivery.id, body: delivery.body, receiveCount, enqueuedAt: delivery.enqueuedAt };
    });
  }

  async deleteDeadLetters(queue: string, ids: string[]): Promise<number> {
    const target = await this.resolve(queue);
    if (!target.deadLetterUrl || ids.length === 0) return 0;
    const dlq: ResolvedQueue = { name: `${queue} (dead letters)`, url: target.deadLetterUrl, fifo: target.fifo, contentBasedDeduplication: false };
    const wanted = new Set(ids);
    const seen = new Set<string>();
    let deleted = 0;
    // SQS deletes by receipt only: receive the dead letters, delete the wanted ones, release the rest.
    // Bounded: stops when every id was found, the DLQ is exhausted, or a message comes round again.
    const others: string[] = [];
    try {
      for (;;) {
        const batch = await this.receive(dlq, SQS_BATCH_MAX, DEAD_LETTER_WORK_SECONDS);
        if (batch.length === 0) break;
        const toDelete: string[] = [];
        let repeated = false;
        for (const m of batch) {
          if (seen.has(m.MessageId!)) repeated = true;
          seen.add(m.MessageId!);
          if (wanted.has(m.MessageId!)) {
            toDelete.push(m.ReceiptHandle!);
            wanted.delete(m.MessageId!);
          } else {
            others.push(m.ReceiptHandle!);
          }
        }
        if (toDelete.length > 0) {
          await this.deleteBatch(dlq, toDelete, 'deleteDeadLetters');
          deleted += toDelete.length;
        }
        if (wanted.size === 0 || repeated || dlq.fifo || batch.length < SQS_BATCH_MAX) break;
      }
    } finally {
      await this.releaseBatchQuietly(dlq, others);
    }
    return deleted;
  }

  async redriveDeadLetters(queue: string, options: RedriveOptions = {}): Promise<number> {
    const target = await this.resolve(queue);
    if (!target.deadLetterUrl) return 0;
    const dlq: ResolvedQueue = { name: `${queue} (dead letters)`, url: target.deadLetterUrl, fifo: target.fifo, contentBasedDeduplication: false };
    const max = options.max ?? Number.POSITIVE_INFINITY;
    const perSecond = options.perSecond && options.perSecond > 0 ? options.perSecond : undefined;
    const started = Date.now();
    let moved = 0;
    // StartMessageMoveTask is not used: it runs asynchronously, cannot be told how many messages to
    // move, and the emulator does not implement it. Receive, send, delete: a crash in between
    // duplicates a message (consumers are idempotent), it never loses one.
    while (moved < max && !this.closed) {
      let take = Math.min(SQS_BATCH_MAX, max - moved);
      if (perSecond) {
        const allowed = Math.floor(((Date.now() - started) / 1000) * perSecond) + 1 - moved;
        if (allowed <= 0) {
          await this.sleep(Math.ceil(1000 / perSecond));
          continue;
        }
        take = Math.min(take, allowed);
      }
      const batch = await this.receive(dlq, take, DEAD_LETTER_WORK_SECONDS);
      if (batch.length === 0) break;
      const entries: SendMessageBatchRequestEntry[] = batch.map((m, index) => ({
        Id: String(index),
        MessageBody: m.Body ?? '',
        MessageAttributes: {
          [ENQUEUED_AT_ATTRIBUTE]: { DataType: 'Number', StringValue: String(toDelivery(queue, m).enqueuedAt) },
        },
        // Back into its own group (a partitioned queue's key), with a fresh deduplication id.
        ...this.fifoFields(target, m.Attributes?.MessageGroupId, randomUUID()),
      }));
      try {
        await this.sendBatch(target, entries, 'redriveDeadLetters');
      } catch (error) {
        await this.releaseBatchQuietly(dlq, batch.map((m) => m.ReceiptHandle!));
        throw error;
      }
      await this.deleteBatch(dlq, batch.map((m) => m.ReceiptHandle!), 'redriveDeadLetters');
      moved += batch.length;
      if (batch.length < take) break;
    }
    return moved;
  }

  async purge(queue: string): Promise<void> {
    const target = await this.resolve(queue);
    // The queue first: emptying it by receiving can move a message past maxReceiveCount into the DLQ.
    await this.purgeOne(queue, target);
    if (target.deadLetterUrl) await this.purgeOne(queue, { name: `${queue} (dead letters)`, url: target.deadLetterUrl, fifo: target.fifo, contentBasedDeduplication: false });
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const wake of this.waiters) wake();
    this.waiters.clear();
    if (this.ownsClient) this.client.destroy();
  }

  /** The queue's URL, type and DLQ, looked up once (GetQueueUrl) and cached; created first when allowed. */
  private resolve(queue: string): Promise<ResolvedQueue> {
    if (this.closed) return Promise.reject(new QueueUsageError('the queue backend is closed'));
    let resolved = this.queues.get(queue);
    if (!resolved) {
      resolved = this.lookUp(queue);
      resolved.catch(() => this.queues.delete(queue));
      this.queues.set(queue, resolved);
    }
    return resolved;
  }

  private async lookUp(queue: string): Promise<ResolvedQueue> {
    const definition = findQueueDefinition(queue);
    const fifo = definition?.fifo ?? this.defaultFifo;
    const physical = sqsQueueName(this.settings.queuePrefix, queue, fifo);
    let url: string;
    try {
      url = (await this.client.send(new GetQueueUrlCommand({ QueueName: physical }))).QueueUrl!;
    } catch (error) {
      const code = sqsErrorCode(error);
      const missing = code === 'QueueDoesNotExist' || code === 'NonExistentQueue';
      if (!missing) throw toQueueError(error, 'resolve', queue);
      if (!this.settings.createQueues) throw new QueueUsageError(`queue ${physical} does not exist (queues are created by the deployment)`);
      try {
        url = (
          await provisionQueue(this.client, this.settings.queuePrefix, {
            name: queue,
            fifo,
            visibilityTimeoutSeconds: definition?.visibilityTimeoutSeconds ?? this.settingsOf(queue).visibilityTimeoutSeconds,
            maxReceiveCount: definition?.maxReceiveCount ?? this.settingsOf(queue).maxReceiveCount,
          })
        ).queueUrl;
      } catch (createError) {
        throw toQueueError(createError, 'create queue', queue);
      }
    }
    const attributes = await this.attributes(url, fifo ? ['RedrivePolicy', 'ContentBasedDeduplication'] : ['RedrivePolicy'], queue);
    let deadLetterUrl: string | undefined;
    let maxReceiveCount: number | undefined;
    if (attributes.RedrivePolicy) {
      const policy = JSON.parse(attributes.RedrivePolicy) as { deadLetterTargetArn?: string; maxReceiveCount?: number | string };
      maxReceiveCount = policy.maxReceiveCount !== undefined ? Number(policy.maxReceiveCount) : undefined;
      const arn = String(policy.deadLetterTargetArn ?? '');
      const dlqName = arn.split(':').pop();
      if (dlqName) {
        try {
          deadLetterUrl = (await this.client.send(new GetQueueUrlCommand({ QueueName: dlqName }))).QueueUrl!;
        } catch (error) {
          throw toQueueError(error, 'resolve dead-letter queue', queue);
        }
      }
    }
    return { name: queue, url, fifo, contentBasedDeduplication: attributes.ContentBasedDeduplication === 'true', deadLetterUrl, maxReceiveCount };
  }

  /** The queue's settings: its overrides over the defaults. */
  private settingsOf(queue: string): QueueSettings {
    return { ...this.defaults, ...this.perQueue[queue] };
  }

  /**
   * PurgeQueue, or, while SQS refuses it because an earlier purge is in progress (that one deletes
   * only what was sent before it), receive-and-delete what is ready and wait for what is in flight
   * or delayed to become ready or for SQS to take a purge again. Bounded by the one-purge-a-minute
   * rule: past it, the queue is reported unavailable rather than called empty.
   */
  private async purgeOne(queue: string, target: ResolvedQueue): Promise<void> {
    const deadline = Date.now() + PURGE_IN_PROGRESS_LIMIT_MS;
    const counters = ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible', 'ApproximateNumberOfMessagesDelayed'];
    for (;;) {
      try {
        await this.client.send(new PurgeQueueCommand({ QueueUrl: target.url }));
        return;
      } catch (error) {
        if (sqsErrorCode(error) !== 'PurgeQueueInProgress') throw toQueueError(error, 'purge', queue);
      }
      await this.deleteReady(target, deadline);
      const counts = await this.attributes(target.url, counters, queue);
      if (counters.every((name) => Number(counts[name] ?? 0) === 0)) return;
      if (this.closed) throw new QueueUsageError('the queue backend is closed');
      if (Date.now() >= deadline) {
        throw new QueueUnavailableError(`purge of ${target.name}: SQS still refuses a new purge and the queue still holds messages`);
      }
      await this.sleep(this.settings.waitPollMs);
    }
  }

  /** Receives and deletes until a receive comes back empty (or `deadline`, should producers keep up). */
  private async deleteReady(target: ResolvedQueue, deadline: number): Promise<void> {
    while (Date.now() < deadline && !this.closed) {
      const batch = await this.receive(target, SQS_BATCH_MAX, DEAD_LETTER_WORK_SECONDS);
      if (batch.length === 0) return;
      await this.deleteBatch(target, batch.map((m) => m.ReceiptHandle!), 'purge');
    }
  }

  private serialise(message: MessageBody, options: PushOptions): string {
    const stamped = withSourceFields(message, this.identity, options.sourceType);
    // Left out (null and blank too, as on Redis): deliveries get it from SentTimestamp (SQS's clock).
    if (needsEnqueuedTime(stamped)) delete stamped.source_enqueued_time;
    return JSON.stringify(stamped);
  }

  private delayFor(target: ResolvedQueue, options: PushOptions): { DelaySeconds?: number } {
    if (!options.delaySeconds) return {};
    if (target.fifo) throw new QueueUsageError(`push to ${target.name}: SQS FIFO queues have no per-message delay`);
    if (options.delaySeconds > 900) throw new QueueUsageError(`push to ${target.name}: SQS delays at most 900 seconds`);
    return { DelaySeconds: Math.ceil(options.delaySeconds) };
  }

  /**
   * MessageGroupId (the queue's one group unless given) and MessageDeduplicationId (given, left to
   * the queue's content-based deduplication, or fresh) of a FIFO push; nothing on a standard queue.
   */
  private fifoFields(target: ResolvedQueue, groupId?: string, deduplicationId?: string): { MessageGroupId?: string; MessageDeduplicationId?: string } {
    if (!target.fifo) return {};
    const dedup = deduplicationId ?? (target.contentBasedDeduplication ? undefined : randomUUID());
    return { MessageGroupId: groupId ?? target.name, ...(dedup !== undefined ? { MessageDeduplicationId: dedup } : {}) };
  }

  private async sendBatch(target: ResolvedQueue, entries: SendMessageBatchRequestEntry[], operation: string): Promise<void> {
    let result;
    try {
      result = await this.client.send(new SendMessageBatchCommand({ QueueUrl: target.url, Entries: entries }));
    } catch (error) {
      throw toQueueError(error, operation, target.name);
    }
    const failed = result.Failed ?? [];
    if (failed.length > 0) {
      const codes = [...new Set(failed.map((f) => f.Code))].join(', ');
      const message = `${operation} on ${target.name}: SQS stored ${entries.length - failed.length} of ${entries.length} messages (${codes})`;
      throw failed.every((f) => f.SenderFault) ? new QueueUsageError(message) : new QueueUnavailableError(message);
    }
  }

  private async receive(target: ResolvedQueue, max: number, visibilityTimeoutSeconds?: number): Promise<Message[]> {
    try {
      const result = await this.client.send(
        new ReceiveMessageCommand({
          QueueUrl: target.url,
          MaxNumberOfMessages: max,
          WaitTimeSeconds: this.receiveWaitSeconds,
          ...(visibilityTimeoutSeconds !== undefined ? { VisibilityTimeout: visibilityTimeoutSeconds } : {}),
          MessageSystemAttributeNames: ['ApproximateReceiveCount', 'SentTimestamp', 'MessageGroupId'] satisfies MessageSystemAttributeName[],
          MessageAttributeNames: [ENQUEUED_AT_ATTRIBUTE],
        }),
      );
      return result.Messages ?? [];
    } catch (error) {
      throw toQueueError(error, 'receive', target.name);
    }
  }

  /** Renews the leases of `receipts`; the stale ones are appended to `stale`, the held ones returned. */
  private async holdLeases(target: ResolvedQueue, receipts: string[], stale: string[]): Promise<string[]> {
    let result;
    try {
      result = await this.client.send(
        new ChangeMessageVisibilityBatchCommand({
          QueueUrl: target.url,
          Entries: receipts.map((receipt, index) => ({ Id: String(index), ReceiptHandle: receipt, VisibilityTimeout: ACK_CHECK_SECONDS })),
        }),
      );
    } catch (error) {
      throw toQueueError(error, 'ack', target.name);
    }
    const failedIds = new Set<string>();
    for (const failure of result.Failed ?? []) {
      if (!isStaleReceipt(failure.Code ?? '')) {
        throw new QueueUnavailableError(`ack on ${target.name}: SQS refused a lease check (${failure.Code})`);
      }
      failedIds.add(failure.Id!);
      stale.push(receipts[Number(failure.Id)]!);
    }
    return receipts.filter((_, index) => !failedIds.has(String(index)));
  }

  private async deleteBatch(target: ResolvedQueue, receipts: string[], operation: string): Promise<void> {
    for (let start = 0; start < receipts.length; start += SQS_BATCH_MAX) {
      const chunk = receipts.slice(start, start + SQS_BATCH_MAX);
      let result;
      try {
        result = await this.client.send(
          new DeleteMessageBatchCommand({ QueueUrl: target.url, Entries: chunk.map((receipt, index) => ({ Id: String(index), ReceiptHandle: receipt })) }),
        );
      } catch (error) {
        throw toQueueError(error, operation, target.name);
      }
      const failed = result.Failed ?? [];
      if (failed.length > 0) {
        throw new QueueUnavailableError(`${operation} on ${target.name}: SQS did not delete ${failed.length} messages (${failed.map((f) => f.Code).join(', ')})`);
      }
    }
  }

  private async changeVisibility(queue: string, receipt: string, seconds: number, operation: string): Promise<void> {
    const target = await this.resolve(queue);
    try {
      await this.client.send(
        new ChangeMessageVisibilityCommand({ QueueUrl: target.url, ReceiptHandle: receipt, VisibilityTimeout: Math.max(0, Math.ceil(seconds)) }),
      );
    } catch (error) {
      throw toQueueError(error, operation, queue);
    }
  }

  private async releaseQuietly(queue: string, delivery: Delivery): Promise<void> {
    try {
      await this.release(queue, delivery.receipt);
    } catch (error) {
      this.logger.warn({ queue, messageId: delivery.id, error: toError(error).name }, 'could not release; the message returns when its lease runs out');
    }
  }

  private async releaseBatchQuietly(target: ResolvedQueue, receipts: string[]): Promise<void> {
    for (let start = 0; start < receipts.length; start += SQS_BATCH_MAX) {
      const chunk = receipts.slice(start, start + SQS_BATCH_MAX);
      try {
        await this.client.send(
          new ChangeMessageVisibilityBatchCommand({
            QueueUrl: target.url,
            Entries: chunk.map((receipt, index) => ({ Id: String(index), ReceiptHandle: receipt, VisibilityTimeout: 0 })),
          }),
        );
      } catch (error) {
        this.logger.warn({ queue: target.name, error: toError(error).name }, 'could not release; the messages return when their lease runs out');
      }
    }
  }

  private async attributes(url: string, names: string[], queue: string): Promise<Record<string, string>> {
    try {
      const result = await this.client.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: names as never }));
      return (result.Attributes ?? {}) as Record<string, string>;
    } catch (error) {
      throw toQueueError(error, 'stats', queue);
    }
  }

  /** A sleep that close() cuts short. */
  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        this.waiters.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, ms);
      this.waiters.add(wake);
    });
  }
}

function isComplete(settings: Partial<SqsSettings>): settings is SqsSettings {
  return 'endpoint' in settings && settings.region !== undefined && settings.queuePrefix !== undefined && settings.createQueues !== undefined && settings.waitPollMs !== undefined;
}

function toDelivery(queue: string, message: Message): Delivery {
  return sqsDelivery(queue, {
    id: message.MessageId!,
    receipt: message.ReceiptHandle!,
    body: message.Body ?? '',
    receiveCount: message.Attributes?.ApproximateReceiveCount,
    sentTimestamp: message.Attributes?.SentTimestamp,
    originalEnqueuedAt: message.MessageAttributes?.[ENQUEUED_AT_ATTRIBUTE]?.StringValue,
    messageGroupId: message.Attributes?.MessageGroupId,
  });
}

/** Splits bodies into SendMessageBatch-sized chunks: at most 10 entries and 256 KiB each. */
export function chunkBySize(bodies: string[]): string[][] {
  return consecutiveChunks(bodies, (body) => Buffer.byteLength(body), SQS_BATCH_BYTES, SQS_BATCH_MAX);
}
