/**
 * The queue contract (docs/queue.md) that every backend implements: Redis (Lua scripts) and
 * SQS. Producers and consumers only ever see this interface; choosing a backend is
 * configuration. Delivery is at-least-once: consumers must be idempotent.
 *
 * Order (where `capabilities.orderedRedelivery`): every message has a position, the time it
 * became deliverable (its push, or the time a delayed push or delayed release falls due), and
 * messages are delivered by position, ties by push order. So a message that falls due at T is
 * delivered before messages pushed after T; a message released at once, or whose lease ran out,
 * keeps its original position and goes before everything pushed after it. This holds whatever the
 * backlog, the number of leases that expire together or the batch size.
 */

/** The legacy `source_type` values stamped on every message. */
export type SourceType = 'payments' | 'listener' | 'audit' | 'direct';

/** A message as producers hand it over: a JSON object with snake_case keys. */
export type MessageBody = Record<string, unknown>;

export interface PushOptions {
  /** Legacy `source_type` stamped on the message when it has none; `direct` by default. */
  sourceType?: SourceType;
  /** Keep the message invisible for this long before its first delivery. */
  delaySeconds?: number;
  /**
   * The message's identity for this queue (at most 200 characters, no line break): where
   * `capabilities.idempotentPush`, a message whose key a push of the last
   * `QUEUE_PUSH_IDEMPOTENCY_SECONDS` carried is not stored again, so that a move that is re-run
   * after a crash stores each message once (docs/queue.md, Idempotent push).
   */
  idempotencyKey?: (message: MessageBody) => string;
}

/** One leased message. The receipt identifies this delivery, not the message. */
export interface Delivery {
  /** Stable for the message's whole life, across redeliveries. */
  id: string;
  /** The raw body exactly as stored: consumers parse it, failure stores keep it verbatim. */
  body: string;
  /**
   * Fences ack, release and extend: a receipt from an expired lease is rejected. Opaque; unique
   * per delivery (Redis: `<id>:<receiveCount>:<lease time in µs>`). A lease that ran out but whose
   * message has not been handed to anyone else yet is still held: its receipt still works.
   */
  receipt: string;
  /** 1 on the first delivery; counts failures and lease expiries alike. */
  receiveCount: number;
  /** When the queue first accepted the message (unix ms, queue server's clock). */
  enqueuedAt: number;
  /** The queue this delivery came from. */
  queue: string;
  /**
   * The message group it belongs to, on a backend with `capabilities.messageGroups` (SQS FIFO:
   * MessageGroupId; a partitioned queue's key there); undefined elsewhere.
   */
  messageGroupId?: string;
}

/**
 * One message of `pushGrouped`: its group (messages of one group are delivered in push order, one
 * group to one consumer at a time) and, optionally, its deduplication id.
 */
export interface GroupedMessage {
  body: MessageBody;
  groupId: string;
  /**
   * A second push with the same id within the backend's deduplication window is stored once
   * (SQS FIFO: 5 minutes). Absent: the queue's content-based deduplication where it has it,
   * otherwise none (two equal donations are two messages).
   */
  deduplicationId?: string;
}

export interface LeaseOptions {
  /** At most this many messages (1 by default). */
  max?: number;
  /** Lease length; the queue's default otherwise. */
  visibilityTimeoutSeconds?: number;
  /**
   * Receipts to ack in the same round trip before leasing, so that a consumer loop costs one
   * round trip per message in steady state. Stale ones among them are ignored (and logged).
   */
  ack?: string[];
}

export type PopResult<T> = { status: 'empty' } | { status: 'done'; value: T; delivery: Delivery };

/** What a batch callback reports: ids (Delivery.id) that failed stay in the queue; the rest are acked. */
export interface BatchOutcome {
  failedIds: string[];
}

export interface PopBatchResult {
  /** How many messages were leased (0: the queue was empty and the callback was not run). */
  leased: number;
  acked: number;
  failed: number;
}

/** What a consumeBatches callback reports: a batch outcome, and whether to stop after it. */
export interface BatchLoopOutcome extends BatchOutcome {
  /** Stop after this batch (its acks and releases are still sent before consumeBatches resolves). */
  stop?: boolean;
  /**
   * The callback did not start on this batch (its consumer is stopping): the whole batch goes back
   * as a batch leased ahead does, to its places and, where `capabilities.leaseAheadUncounted`,
   * with its receive counts as before the lease; `failedIds` is ignored and the loop stops. A
   * consumer that stops with a backlog then spends none of its messages' deliveries.
   */
  unhandled?: boolean;
  /**
   * The failed ones failed through no fault of their own (a dependency their handler needs was
   * down): they go back as a batch leased ahead does, with their receive counts as before this
   * lease where `capabilities.leaseAheadUncounted` (elsewhere they count), so that an outage longer
   * than maxReceiveCount runs dead-letters nothing.
   */
  uncounted?: boolean;
}

/** Optional hooks of consumeBatches. */
export interface ConsumeBatchesOptions {
  /**
   * Called with a batch leased ahead as soon as it arrives, while the callback still handles the
   * batch before (docs/queue.md, Lease ahead): CPU work done here on the coming batch (parsing,
   * say) overlaps the callback's waits. The same batch is handed to the callback later unless it
   * goes back unhandled. Must not throw and must not keep the deliveries' leases for itself.
   */
  prepare?(deliveries: Delivery[]): void;
}

export interface ConsumeBatchesResult extends PopBatchResult {
  batches: number;
  /** `empty`: a lease found nothing; `stopped`: `next` answered 0 or a callback said stop. */
  stoppedBecause: 'empty' | 'stopped';
}

/** A queue's traffic per minute, oldest first. */
export interface QueueRates {
  /** The first minute's start. */
  start: Date;
  pushed: number[];
  acked: number[];
}

export interface QueueStats {
  ready: number;
  inFlight: number;
  delayed: number;
  dead: number;
  /**
   * Age of the oldest message not yet acked (ready, in flight or delayed), in seconds, by the
   * queue server's clock; null when the queue holds none. Optional guarantee: a backend that has
   * no such figure reports null always (SQS: only the CloudWatch metric
   * ApproximateAgeOfOldestMessage has it), so null does not prove the queue empty; use the counts.
   */
  oldestAgeSeconds: number | null;
}

export interface DeadLetter {
  id: string;
  body: string;
  receiveCount: number;
  /** When the queue first accepted the message (unix ms). */
  enqueuedAt: number;
}

export interface RedriveOptions {
  /** Move at most this many per call. */
  max?: number;
  /** Move at most this many per second, across the whole call. */
  perSecond?: number;
}

/** Per-queue settings; backends apply defaults when a queue is not configured. */
export interface QueueSettings {
  visibilityTimeoutSeconds: number;
  maxReceiveCount: number;
  /**
   * Largest stored body, in UTF-8 bytes, source fields included: push and pushBatch reject a
   * bigger message with MessageTooLargeError before anything is stored (QUEUE_MAX_MESSAGE_BYTES,
   * by default what an SQS queue accepts by default, 256 KiB).
   */
  maxMessageBytes: number;
}

/**
 * What a backend can and cannot do beyond the common contract. A guarantee a backend declares
 * false is never faked: the contract suite asserts the declared behaviour either way.
 */
export interface QueueCapabilities {
  /**
   * A released or expired message returns to its original place, ahead of messages pushed after
   * it, and several released at once keep their order (Redis). False: only "delivered again"
   * holds (SQS standard queues).
   */
  orderedRedelivery: boolean;
  /** stats().oldestAgeSeconds is exact; false: it is always null (SQS: a CloudWatch metric only). */
  reportsOldestAge: boolean;
  /** peek reads without leasing or counting a delivery; false: peek rejects with QueueCapabilityError. */
  peek: boolean;
  /**
   * A message released with a delay counts in stats().delayed; false: it counts in inFlight until
   * it is due (SQS keeps it in flight with a longer visibility timeout).
   */
  delayedReleaseCountsAsDelayed: boolean;
  /**
   * One queue keeps per-group order and hands each group to one consumer at a time
   * (SQS FIFO queues, MessageGroupId): `pushGrouped` exists, and a partitioned queue is that one
   * queue grouped by its key. False: a partitioned queue is N partition queues `<q>#<p>` (Redis,
   * docs/queue.md Partitions).
   */
  messageGroups: boolean;
  /**
   * A push with `idempotencyKey` skips a message whose key was pushed within the retention window
   * (Redis); false: the key is ignored and every push stores its messages (SQS standard queues
   * have no deduplication), so the consumer's own idempotency is what holds.
   */
  idempotentPush: boolean;
  /**
   * A batch that consumeBatches leased ahead and gave back without handing it to the callback
   * (the batch before it failed, threw or stopped) costs its messages no delivery: their
   * receiveCount is as before that lease (Redis, as for a prefetch). False: that lease counted a
   * delivery towards maxReceiveCount (SQS counts every receive and takes none back).
   */
  leaseAheadUncounted: boolean;
}

export interface QueueBackend {
  /** What this backend guarantees beyond the common contract. */
  readonly capabilities: QueueCapabilities;
  /**
   * Appends one message and resolves only once the backend has stored it; rejects with a
   * QueueError otherwise. Adds the legacy source_* fields that the message does not carry.
   */
  push(queue: string, message: MessageBody, options?: PushOptions): Promise<void>;
  /** Appends many messages, in order, in as few round trips as the backend allows. */
  pushBatch(queue: string, messages: MessageBody[], options?: PushOptions): Promise<void>;
  /**
   * Appends messages each in its own group, in order within each group (only where
   * `capabilities.messageGroups`; the queue must be a FIFO queue). Every message is checked before
   * anything is sent, so a refused call stores none.
   */
  pushGrouped?(queue: string, messages: GroupedMessage[], options?: Pick<PushOptions, 'sourceType'>): Promise<void>;
  /**
   * Leases the oldest message, runs `callback`, and acks only if it resolves. Throws what the
   * callback threw after releasing the message (visible again at once; where it goes in the
   * order is as for `release`); on an empty queue the callback is not run. A backend may prefetch
   * the next message with the ack (Redis does: one round trip per message); a prefetched message
   * counts as delivered only once it is claimed for a callback (on Redis by the ack just before,
   * docs/queue.md), and one no callback got goes back to its place with its count unchanged.
   *
   * The callback gets the body parsed into an object and the delivery (raw text in
   * `delivery.body`). A body that is not a JSON object never reaches the callback: popAtomic
   * rejects with MalformedQueueMessageError carrying the delivery, and the message stays leased
   * so that the caller can store the raw text and then `ack(queue, error.delivery.receipt)` (or
   * release it). If the ack after a successful callback finds the lease lost (the callback
   * outlived the visibility timeout and the message went to another consumer), popAtomic
   * rejects with StaleReceiptError: the message will be processed again.
   */
  popAtomic<T>(queue: string, callback: (body: MessageBody, delivery: Delivery) => Promise<T>): Promise<PopResult<T>>;
  /**
   * Leases up to `max` messages and hands them to `callback` at once; acks those not reported as
   * failed and releases the failed ones (as `release` does). A throwing callback releases the
   * whole batch.
   */
  popAtomicBatch(queue: string, max: number, callback: (deliveries: Delivery[]) => Promise<BatchOutcome>): Promise<PopBatchResult>;
  /**
   * popAtomicBatch in a loop, the way a consumer runs (docs/queue.md, Lease ahead):
   * - Lease ahead: while the callback handles a full batch N, the lease of batch N+1 is already
   *   in flight, carrying the acks of batch N−1 (one round trip per batch on Redis, overlapping
   *   the callback's work). A batch shorter than asked leases nothing ahead: the queue had no more.
   *   A batch leased ahead is handed to the callback after the current one, in order.
   * - `next(inFlight)` is asked before each lease, `inFlight` being the messages leased and not
   *   yet handled (the current batch when leasing ahead, else 0), so a message limit stays exact:
   *   at most `limit − done − inFlight`. 0: lease no more; the run stops once what it holds is handled.
   * - FIFO: when a callback reports failed ids, says stop or throws, its failed messages (all of
   *   them when it throws) are released and the batch leased ahead goes back too, to its place, so
   *   nothing overtakes a released message. Where `capabilities.leaseAheadUncounted`, that batch
   *   keeps its receive counts; otherwise its lease counted a delivery. A batch the callback
   *   reports `unhandled` goes back the same way.
   * `options.prepare` sees each batch leased ahead when it arrives. Resolves once the last acks
   * and releases are sent (acks resolve only after the backend answered), with totals of what
   * callbacks were handed and why it stopped. A throwing callback
   * releases its whole batch; the acks of the batch before it have gone with a lease.
   */
  consumeBatches(
    queue: string,
    next: (inFlight: number) => number,
    callback: (deliveries: Delivery[]) => Promise<BatchLoopOutcome>,
    options?: ConsumeBatchesOptions,
  ): Promise<ConsumeBatchesResult>;
  /** Leases up to `max` messages without running anything: the caller must ack or release. */
  lease(queue: string, options?: LeaseOptions): Promise<Delivery[]>;
  /** Removes a leased message. Rejects with StaleReceiptError when the lease is no longer held. */
  ack(queue: string, receipt: string): Promise<void>;
  /** Acks many in one call; resolves with the receipts that were stale. */
  ackBatch(queue: string, receipts: string[]): Promise<string[]>;
  /**
   * Gives a leased message back, visible again after `delaySeconds` (0: at once). The delivery
   * still counts towards maxReceiveCount (the next delivery has a higher receiveCount). Rejects
   * with StaleReceiptError when the lease is no longer held.
   *
   * Where the message goes in the order depends on `capabilities.orderedRedelivery`, as for a
   * lease that runs out:
   * - ordered backends (Redis) put it back at its original position (released at once) or at the
   *   time it falls due (delayed), see the order rule above;
   * - unordered backends (SQS standard queues) promise no place: the emulator appends it behind
   *   the others, AWS may deliver it anywhere. Only "delivered again" holds.
   * Consumers must therefore not rely on redelivery order; a queue that needs strict order must
   * be an ordered backend or a FIFO queue.
   */
  release(queue: string, receipt: string, delaySeconds?: number): Promise<void>;
  /**
   * Gives back leases whose deliveries no callback was handed (a consumer that stopped before
   * starting on them): at once, to their places, with the receive counts they had before that
   * lease. Stale receipts are skipped. Present where `capabilities.leaseAheadUncounted`; must not
   * throw (a lease that cannot be given back runs out by itself, counted).
   */
  releaseUnhandled?(queue: string, receipts: string[]): Promise<void>;
  /** Heartbeat: the lease now runs out `seconds` from now. Rejects with StaleReceiptError when the lease is no longer held. */
  extend(queue: string, receipt: string, seconds: number): Promise<void>;
  /** Resolves true when a message may be ready, false after `timeoutMs`; never busy-polls. */
  waitForMessage(queue: string, timeoutMs: number): Promise<boolean>;
  /** Up to `count` ready message bodies from the front (10 by default), without leasing them. */
  peek(queue: string, count?: number): Promise<string[]>;
  stats(queue: string): Promise<QueueStats>;
  /**
   * Messages pushed and acked per minute over the last `minutes`, oldest first (Redis:
   * lib/queue/redis/rate-counter.ts). Absent where the backend keeps no such counts (SQS: the
   * CloudWatch metrics NumberOfMessagesSent and NumberOfMessagesDeleted have them).
   */
  rates?(queue: string, minutes: number): Promise<QueueRates>;
  /**
   * The oldest `max` dead-lettered messages, left in place: a caller stores them elsewhere first
   * and then deletes them, so a crash in between duplicates rather than loses.
   */
  readDeadLetters(queue: string, max: number): Promise<DeadLetter[]>;
  /** Deletes dead-lettered messages by id; unknown ids are ignored. Resolves with how many went. */
  deleteDeadLetters(queue: string, ids: string[]): Promise<number>;
  /** Moves dead-lettered messages back to the queue, rate-limited; resolves with how many moved. */
  redriveDeadLetters(queue: string, options?: RedriveOptions): Promise<number>;
  /** Deletes everything the queue holds: ready, in flight, delayed and dead. */
  purge(queue: string): Promise<void>;
  close(): Promise<void>;
}
