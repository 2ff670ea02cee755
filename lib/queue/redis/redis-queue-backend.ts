/**
 * The Redis implementation of the queue contract (docs/queue.md has the ordering contract).
 *
 * Layout per queue `q` (all keys share the hash tag `{q}`, see keys.ts): a ready list of compact
 * records `id|enqueuedMs|receiveCount|body` in enqueue order; a due sorted set (delayed messages
 * and redeliveries, by position); an in-flight hash plus a lease-deadline sorted set; an age index
 * of what is due or in flight; a dead-letter sorted set. Every state change is one Lua script
 * (lua/*.lua) that takes its time from the queue's clock (Redis TIME, never running backwards):
 * the client clock never matters. Scripts that change state answer a re-sent call from their
 * reply cache (call-ledger.ts), so a reply lost with the connection does not run them twice.
 */
import Redis, { type Cluster, type RedisOptions } from 'ioredis';
import { coreConfig } from '../../config';
import { BufferError, toError } from '../../errors';
import { isJsonObject, parseJsonObject } from '../../json-object';
import { createLogger } from '../../log';
import { queueConfig } from '../config';
import { MalformedQueueMessageError, QueueUnavailableError, QueueUsageError, StaleReceiptError } from '../errors';
import { assertMessageFits } from '../message-size';
import { consumeBatchesWith, popAtomicBatchWith, type BatchOperations } from '../pop-atomic-batch';
import { currentSourceIdentity, needsEnqueuedTime, withSourceFields, type SourceIdentity } from '../source-fields';
import type {
  BatchLoopOutcome,
  ConsumeBatchesOptions,
  ConsumeBatchesResult,
  BatchOutcome,
  DeadLetter,
  Delivery,
  LeaseOptions,
  MessageBody,
  PopBatchResult,
  PopResult,
  PushOptions,
  QueueBackend,
  QueueCapabilities,
  QueueRates,
  QueueSettings,
  QueueStats,
  RedriveOptions,
  SourceType,
} from '../types';
import { CallCoalescer } from './call-coalescer';
import { CallLedger } from './call-ledger';
import { messageKeys, queueKeys, repliesKey, type QueueKeys } from './keys';
import type { LuaScriptName } from './lua';
import { decodeRecord, receiptReceiveCount } from './record';
import { RateCounter } from './rate-counter';
import { runQueueScript } from './scripts';
import { WakeHub } from './wake-hub';

const log = createLogger({ component: 'queue.redis' });

/** Fields withSourceFields adds, and the enqueue time: a message with any of them takes the general path. */
const SOURCE_FIELDS = ['source_name', 'source_type', 'source_host', 'source_run_id', 'source_version', 'source_enqueued_time'];

/** Most messages one lease call hands out. */
export const MAX_LEASE_BATCH = 1000;
/** pushBatch sends at most this many messages, or about this many bytes, per script call. */
const PUSH_CHUNK_MESSAGES = 500;
const PUSH_CHUNK_BYTES = 4 * 1024 * 1024;
/** Housekeeping per lease call (expired leases, legacy elements), unless configured. */
const DEFAULT_HOUSEKEEPING_BOUND = 1000;
/**
 * A prefetched message is leased this long without counting a delivery: popAtomic claims it when
 * it hands it to a callback; unclaimed (the process stopped or froze), it returns by itself.
 */
const PREFETCH_LEASE_MS = 2000;
/** A prefetched message nobody asked for within this time is given back at once. */
const PREFETCH_IDLE_MS = 50;
/** Only prefetched messages younger than this are handed out (the rest of the lease is the callback's margin to claim). */
const PREFETCH_FRESH_MS = PREFETCH_LEASE_MS / 4;
/** Wake a waiter this long after the due time Redis reported (timer granularity). */
const DUE_MARGIN_MS = 1;

/** Wait for replicas before a push resolves (Redis WAIT), per queue. */
export interface ReplicaDurability {
  /** Replicas that must have the push before it resolves. */
  replicas: number;
  /** How long to wait for them; then the push rejects with ReplicationTimeoutError. */
  timeoutMs: number;
}

/**
 * The push was stored on the primary, but fewer replicas than required confirmed it in time. The
 * message may be lost if the primary fails now; a retry may store it twice.
 */
export class ReplicationTimeoutError extends QueueUnavailableError {}

export interface RedisQueueBackendOptions {
  /**
   * A client to use (a Redis or a Cluster); the caller keeps ownership and closes it. Without
   * one, the backend opens its own from `url` (or REDIS_URL) with fail-fast settings and closes it.
   */
  redis?: Redis | Cluster;
  url?: string;
  /** Overrides of redisConnectionOptions() for the client the backend opens itself. */
  redisOptions?: Partial<RedisOptions>;
  /** Settings for every queue; QUEUE_VISIBILITY_TIMEOUT_SECONDS, QUEUE_MAX_RECEIVE_COUNT and QUEUE_MAX_MESSAGE_BYTES otherwise. */
  defaults?: Partial<QueueSettings>;
  /** Per-queue overrides of `defaults`. */
  queues?: Record<string, Partial<QueueSettings>>;
  /**
   * Queues whose pushes wait for replicas (standalone primary only; a Cluster routes WAIT
   * elsewhere); QUEUE_REDIS_WAIT_REPLICAS and QUEUE_REDIS_WAIT_TIMEOUT_MS otherwise.
   */
  durability?: Record<string, ReplicaDurability>;
  /** Overrides of the source identity stamped on pushes (name, version, host, run id). */
  identity?: Partial<SourceIdentity>;
  /** Bound on each housekeeping step per lease (expired leases, legacy elements). */
  housekeepingBound?: number;
  /** popAtomic leases the next message together with each ack (on by default). */
  prefetch?: boolean;
}

/**
 * Connection settings for a producer or consumer: commands fail fast with an error instead of
 * waiting forever while Redis is down (one reconnection attempt per command, a command timeout),
 * so a push never hangs and never appears to succeed when Redis did not confirm it.
 */
export function redisConnectionOptions(): RedisOptions {
  const config = queueConfig();
  return {
    // Connect on the first command, not at construction: a handler's module-scope client must
    // not open sockets (or keep an idle process alive) before its first invocation.
    lazyConnect: true,
    maxRetriesPerRequest: 1,
    enableOfflineQueue: true,
    connectTimeout: config.QUEUE_REDIS_CONNECT_TIMEOUT_MS,
    commandTimeout: config.QUEUE_REDIS_COMMAND_TIMEOUT_MS,
    retryStrategy: (times) => Math.min(times * 200, 2000),
    // disconnect() arms a timer of this length even when the socket is already gone (Redis down):
    // keep it short so that a closed backend does not hold the process open.
    disconnectTimeout: 200,
  };
}

/** A batch size a lease call can take, else a QueueUsageError naming the operation. */
function checkBatchMax(max: number, operation: string): void {
  if (!Number.isInteger(max) || max < 1 || max > MAX_LEASE_BATCH) throw new QueueUsageError(`${operation} max must be a whole number from 1 to ${MAX_LEASE_BATCH}`);
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** One caller's part of a merged lease script call; a claim answers nothing (only the ack decides). */
type LeaseCall = { lease: number } | { ack: string; prefetch: boolean } | { claim: string };
type LeaseCallResult = Delivery[] | boolean | undefined;

interface Prefetched {
  delivery: Delivery;
  at: number;
  /**
   * Claimed ahead: the ack call of an earlier message already turned it into a counted, full
   * lease, so that the popAtomic which takes it sends no claim of its own (a lone consumer loop:
   * one script call per message). Given back unused, its count goes back too.
   */
  claimed: boolean;
}

export class RedisQueueBackend implements QueueBackend {
  readonly capabilities: QueueCapabilities = { orderedRedelivery: true, reportsOldestAge: true, peek: true, delayedReleaseCountsAsDelayed: true, messageGroups: false, idempotentPush: true, leaseAheadUncounted: true };
  private readonly redis: Redis | Cluster;
  private readonly ownsClient: boolean;
  private readonly defaults: QueueSettings;
  private readonly perQueue: Record<string, Partial<QueueSettings>>;
  private readonly durability: Record<string, ReplicaDurability>;
  private readonly identity: SourceIdentity;
  private readonly housekeepingBound: number;
  /** How long a push idempotency key is remembered (push-10.lua). */
  private readonly idempotencyMs: number;
  private readonly prefetch: boolean;
  private readonly ledger = new CallLedger();
  private readonly wakeHub: WakeHub;
  /** The serialised source fields (without the opening brace) per source type, for encodeFresh. */
  private readonly sourceSuffixes = new Map<SourceType, string>();
  /**
   * The leases, claims and acks of concurrent popAtomic calls in one event-loop turn, merged into
   * one lease script call with the acks piggybacked and the next message prefetched with each ack:
   * about one script call per turn whatever the concurrency. Batch calls go straight (batchOperations).
   */
  private readonly leaseCalls = new CallCoalescer<LeaseCall, LeaseCallResult>((queue, calls) => this.mergedLease(queue, calls), 256);
  /** Concurrent pushes of one turn (same queue and delay), merged into one push script call. */
  private readonly pushCalls = new CallCoalescer<string, void>(async (key, args) => {
    const separator = key.lastIndexOf('\0');
    await this.pushArgs(key.slice(0, separator), Number(key.slice(separator + 1)), args);
    return args.map(() => undefined);
  }, PUSH_CHUNK_MESSAGES);
  private readonly prefetched = new Map<string, Prefetched[]>();
  private readonly prefetchTimers = new Map<string, NodeJS.Timeout>();
  /** Per queue, how many times held prefetches were given back (see giveBackFrom). */
  private readonly givenBack = new Map<string, number>();
  /** Connections for pushes that wait for replicas (WAIT counts the writes of its own connection). */
  private durableClient?: Redis;
  /** Per-minute pushed and acked counts (./rate-counter.ts), shared with whatever else runs queue scripts on this client. */
  private readonly rateCounter: RateCounter;

  constructor(options: RedisQueueBackendOptions = {}) {
    const config = queueConfig();
    if (options.redis) {
      this.redis = options.redis;
      this.ownsClient = false;
    } else {
      const url = options.url ?? coreConfig().REDIS_URL;
      const client = new Redis(url, { ...redisConnectionOptions(), ...options.redisOptions });
      client.on('error', (error: Error) => log.debug({ err: error.message }, 'redis connection error'));
      this.redis = client;
      this.ownsClient = true;
    }
    this.defaults = {
      visibilityTimeoutSeconds: options.defaults?.visibilityTimeoutSeconds ?? config.QUEUE_VISIBILITY_TIMEOUT_SECONDS,
      maxReceiveCount: options.defaults?.maxReceiveCount ?? config.QUEUE_MAX_RECEIVE_COUNT,
      maxMessageBytes: options.defaults?.maxMessageBytes ?? config.QUEUE_MAX_MESSAGE_BYTES,
    };
    this.perQueue = options.queues ?? {};
    this.durability = options.durability ?? Object.fromEntries(
      Object.entries(config.QUEUE_REDIS_WAIT_REPLICAS).map(([queue, replicas]) => [queue, { replicas, timeoutMs: config.QUEUE_REDIS_WAIT_TIMEOUT_MS }]),
    );
    if (Object.keys(this.durability).length > 0 && !(this.redis instanceof Redis)) {
      throw new QueueUsageError('waiting for replicas needs a standalone primary: on a Cluster, WAIT would run on another node');
    }
    this.identity = { ...currentSourceIdentity(), ...options.identity };
    this.housekeepingBound = options.housekeepingBound ?? DEFAULT_HOUSEKEEPING_BOUND;
    this.idempotencyMs = config.QUEUE_PUSH_IDEMPOTENCY_SECONDS * 1000;
    this.prefetch = options.prefetch ?? true;
    this.wakeHub = new WakeHub(this.redis);
    this.rateCounter = RateCounter.of(this.redis);
  }

  /** The effective settings of `queue`. */
  settings(queue: string): QueueSettings {
    return { ...this.defaults, ...this.perQueue[queue] };
  }

  async push(queue: string, message: MessageBody, options: PushOptions = {}): Promise<void> {
    queueKeys(queue);
    const arg = this.encodePush(queue, message, options);
    const delay = delayMs(options.delaySeconds);
    if (this.durability[queue]) {
      await this.pushArgs(queue, delay, [arg]);
      return;
    }
    await this.pushCalls.call(`${queue}\0${delay}`, arg);
  }

  async pushBatch(queue: string, messages: MessageBody[], options: PushOptions = {}): Promise<void> {
    queueKeys(queue);
    const args = messages.map((message) => this.encodePush(queue, message, options));
    const delay = delayMs(options.delaySeconds);
    // Chunks go one after the other (not pipelined), so that their order survives a NOSCRIPT retry.
    let chunk: string[] = [];
    let bytes = 0;
    for (const arg of args) {
      if (chunk.length >= PUSH_CHUNK_MESSAGES || (chunk.length > 0 && bytes + arg.length > PUSH_CHUNK_BYTES)) {
        await this.pushArgs(queue, delay, chunk);
        chunk = [];
        bytes = 0;
      }
      chunk.push(arg);
      bytes += arg.length;
    }
    if (chunk.length > 0) await this.pushArgs(queue, delay, chunk);
  }

  /** One push script call; with replica durability on this queue, followed by WAIT on the same connection. */
  private async pushArgs(queue: string, delay: number, args: string[]): Promise<void> {
    const keys = queueKeys(queue);
    const pushKeys = [keys.legacy, keys.staging, keys.ready, keys.due, keys.ages, keys.seq, keys.clock];
    const durability = this.durability[queue];
    const client = durability ? (this.durableClient ??= (this.redis as Redis).duplicate()) : this.redis;
    await this.runCall(queue, 'push-10', pushKeys, [delay, this.housekeepingBound, this.idempotencyMs, ...args], [keys.signal, keys.pushed], client);
    if (!durability) return;
    const confirmed = await this.guard(queue, () => client.wait(durability.replicas, durability.timeoutMs));
    if (confirmed < durability.replicas) {
      throw new ReplicationTimeoutError(
        `push to queue ${queue} stored on the primary but confirmed by ${confirmed} of ${durability.replicas} replicas within ${durability.timeoutMs} ms`,
      );
    }
  }

  async lease(queue: string, options: LeaseOptions = {}): Promise<Delivery[]> {
    const max = options.max ?? 1;
    if (!Number.isInteger(max) || max < 0 || max > MAX_LEASE_BATCH) {
      throw new QueueUsageError(`lease max must be a whole number from 0 to ${MAX_LEASE_BATCH}`);
    }
    await this.returnPrefetched(queue, 0);
    const { deliveries, stale } = await this.leaseAndAck(queue, max, 0, options.ack ?? [], options.visibilityTimeoutSeconds);
    if (stale.length > 0) log.warn({ queue, stale: stale.length }, 'piggybacked acks with stale receipts ignored');
    return deliveries;
  }

  /**
   * Lease script calls until the housekeeping is done: acks `acks` first, then leases `max` and
   * prefetches `prefetch`. Says which acks were stale.
   */
  private async leaseAndAck(
    queue: string,
    max: number,
    prefetch: number,
    acks: string[],
    visibilityTimeoutSeconds?: number,
    claims: string[] = [],
  ): Promise<{ deliveries: Delivery[]; prefetched: Delivery[]; stale: string[] }> {
    const keys = queueKeys(queue);
    const settings = this.settings(queue);
    const visibility = visibilityTimeoutSeconds === undefined ? this.visibilityMs(queue) : secondsToMs(visibilityTimeoutSeconds, 'visibility timeout');
    let pendingAcks = acks;
    let pendingClaims = claims;
    let stale: string[] | undefined;
    for (;;) {
      const [staleNow, leased, more] = (await this.runCall(
        queue,
        'lease-12',
        [keys.legacy, keys.staging, keys.ready, keys.due, keys.inflight, keys.leases, keys.prefetched, keys.ages, keys.dead, keys.seq, keys.clock],
        [max, prefetch, visibility, PREFETCH_LEASE_MS, settings.maxReceiveCount, this.housekeepingBound, pendingClaims.length, ...pendingClaims, ...pendingAcks],
      )) as [string[], string[], number];
      stale ??= staleNow;
      pendingAcks = [];
      pendingClaims = [];
      const deliveries: Delivery[] = [];
      for (let i = 0; i < leased.length; i += 2) {
        const receipt = leased[i] as string;
        const record = decodeRecord(leased[i + 1] as string);
        deliveries.push({ id: record.id, body: record.body, receipt, receiveCount: receiptReceiveCount(receipt), enqueuedAt: record.enqueuedAt, queue });
      }
      // Housekeeping left over (more expired leases than the bound, or dead letters at the
      // front): call again rather than answer "empty" while messages wait.
      if (deliveries.length === 0 && more === 1 && max + prefetch > 0) continue;
      const leasedCount = Math.min(max, deliveries.length);
      return { deliveries: deliveries.slice(0, leasedCount), prefetched: deliveries.slice(leasedCount), stale };
    }
  }

  /** The merged lease call of one turn: the claims, then every ack, then each caller's leases in order. */
  private async mergedLease(queue: string, calls: LeaseCall[]): Promise<LeaseCallResult[]> {
    const acks: string[] = [];
    const claims: string[] = [];
    let max = 0;
    let refills = 0;
    for (const call of calls) {
      if ('lease' in call) max += call.lease;
      else if ('claim' in call) claims.push(call.claim);
      else {
        acks.push(call.ack);
        if (call.prefetch && this.prefetch) refills += 1;
      }
    }
    // Only a call that carries one consumer's ack alone prefetches: it saves that consumer a round
    // trip per message. Where several consumers share the call, the call is already shared and a
    // prefetch would only add work per message (a short lease, its mark, a claim): their next
    // popAtomic calls lease in the next merged call instead (bench/queue.ts: about twice the rate
    // at concurrency 64).
    if (calls.length - claims.length > 1) refills = 0;
    // Each popAtomic ack claims ahead the message the next popAtomic will take (the oldest
    // unclaimed fresh one held here), and prefetches one to take its place; an ack that finds none
    // to claim prefetches two, so that the next ack finds one.
    const ahead = this.claimAhead(queue, refills);
    for (const entry of ahead) claims.push(entry.delivery.receipt);
    const prefetch = refills + (refills - ahead.length);
    const givenBackBefore = this.givenBack.get(queue) ?? 0;
    let result: Awaited<ReturnType<RedisQueueBackend['leaseAndAck']>>;
    try {
      result = await this.leaseAndAck(queue, max, prefetch, acks, undefined, claims);
    } catch (error) {
      for (const entry of ahead) entry.claimed = false;
      throw error;
    }
    const { deliveries, prefetched, stale } = result;
    if (prefetched.length > 0) {
      // Prefetched while held messages were on their way back: these come after them in the
      // queue, so they follow them back rather than overtake them.
      if ((this.givenBack.get(queue) ?? 0) !== givenBackBefore) void this.giveBack(queue, prefetched.map((delivery) => ({ delivery, at: 0, claimed: false })));
      else this.keepPrefetched(queue, prefetched);
    }
    const staleReceipts = new Set(stale);
    let next = 0;
    return calls.map((call) => {
      if ('lease' in call) {
        const mine = deliveries.slice(next, next + call.lease);
        next += call.lease;
        return mine;
      }
      if ('claim' in call) return undefined;
      return staleReceipts.has(call.ack);
    });
  }

  async ack(queue: string, receipt: string): Promise<void> {
    const stale = await this.ackBatch(queue, [receipt]);
    if (stale.length > 0) throw new StaleReceiptError(`receipt on queue ${queue} is stale: the lease was lost or already settled`);
  }

  async ackBatch(queue: string, receipts: string[]): Promise<string[]> {
    if (receipts.length === 0) return [];
    const keys = queueKeys(queue);
    const stale = (await this.runCall(queue, 'ack-5', [keys.inflight, keys.leases, keys.prefetched, keys.ages], receipts)) as string[];
    return stale;
  }

  /** Pushed and acked messages per minute over the last `minutes` (at most RATE_MINUTES_KEPT). */
  rates(queue: string, minutes: number): Promise<QueueRates> {
    return this.guard(queue, () => this.rateCounter.read(queue, minutes));
  }

  async release(queue: string, receipt: string, delaySeconds = 0): Promise<void> {
    const stale = await this.releaseMany(queue, [receipt], delaySeconds);
    if (stale.length > 0) throw new StaleReceiptError(`receipt on queue ${queue} is stale: the lease was lost or already settled`);
  }

  /** Releases several leases in one call (they keep their order); resolves with the stale receipts. */
  async releaseMany(queue: string, receipts: string[], delaySeconds = 0): Promise<string[]> {
    return this.releaseReceipts(queue, receipts, delaySeconds, false);
  }

  /** `unseen`: no callback was handed these deliveries (prefetches given back), so they count nothing. */
  private async releaseReceipts(queue: string, receipts: string[], delaySeconds: number, unseen: boolean): Promise<string[]> {
    if (receipts.length === 0) return [];
    const keys = queueKeys(queue);
    return (await this.runCall(
      queue,
      'release-7',
      [keys.due, keys.inflight, keys.leases, keys.prefetched, keys.clock],
      [delayMs(delaySeconds), unseen ? 1 : 0, ...receipts],
      [keys.signal],
    )) as string[];
  }

  async extend(queue: string, receipt: string, seconds: number): Promise<void> {
    const keys = queueKeys(queue);
    const extended = await this.run(queue, 'extend-1', [keys.leases], [receipt, secondsToMs(seconds, 'lease extension')]);
    if (extended !== 1) throw new StaleReceiptError(`receipt on queue ${queue} is stale: the lease was lost or already settled`);
  }

  async popAtomic<T>(queue: string, callback: (body: MessageBody, delivery: Delivery) => Promise<T>): Promise<PopResult<T>> {
    queueKeys(queue); // a bad name rejects here, not in a batch shared with other callers
    const taken = this.takePrefetched(queue);
    let delivery = taken?.delivery;
    // A prefetched message counts as delivered once claimed. Most were claimed ahead by the ack
    // call of an earlier message; the others' claim goes out with the next merged lease call (at
    // once when none is in flight), ahead of this message's ack.
    const claim = taken && !taken.claimed ? this.leaseCalls.call(queue, { claim: taken.delivery.receipt }) : undefined;
    if (!delivery) delivery = ((await this.leaseCalls.call(queue, { lease: 1 })) as Delivery[])[0];
    if (!delivery) return { status: 'empty' };
    const parsed = parseJsonObject(delivery.body);
    if (!parsed.ok) {
      await claim;
      throw new MalformedQueueMessageError(delivery, parsed.reason);
    }
    let value: T;
    try {
      value = await callback(parsed.value, delivery);
    } catch (error) {
      await claim?.catch(() => undefined);
      await this.releaseQuietly(queue, [delivery.receipt]);
      throw error;
    }
    const acked = this.leaseCalls.call(queue, { ack: delivery.receipt, prefetch: true });
    const [, ackStale] = await Promise.all([claim, acked]);
    if (ackStale) throw new StaleReceiptError(`receipt on queue ${queue} is stale: the lease was lost or already settled`);
    return { status: 'done', value, delivery };
  }

  async popAtomicBatch(queue: string, max: number, callback: (deliveries: Delivery[]) => Promise<BatchOutcome>): Promise<PopBatchResult> {
    queueKeys(queue);
    checkBatchMax(max, 'popAtomicBatch');
    const { stale, ...result } = await popAtomicBatchWith(this.batchOperations(queue), max, callback);
    if (stale > 0) log.warn({ queue, stale }, 'batch acks with stale receipts: leases ran out during the callback');
    return result;
  }

  async consumeBatches(
    queue: string,
    next: (inFlight: number) => number,
    callback: (deliveries: Delivery[]) => Promise<BatchLoopOutcome>,
    options?: ConsumeBatchesOptions,
  ): Promise<ConsumeBatchesResult> {
    queueKeys(queue);
    const { stale, ...result } = await consumeBatchesWith(
      this.batchOperations(queue),
      (inFlight) => {
        const max = next(inFlight);
        if (max > 0) checkBatchMax(max, 'consumeBatches');
        return max;
      },
      callback,
      options,
    );
    if (stale > 0) log.warn({ queue, stale }, 'batch acks with stale receipts: leases ran out during the callback');
    return result;
  }

  /**
   * Batch leases and acks: one lease script call each, the acks of the batch before carried by
   * the lease. Sent straight, not through the per-turn merge that popAtomic's single calls share:
   * concurrent batch consumers then keep several calls in flight, so Redis runs one consumer's call
   * while Node handles another's reply; merged, they would take turns (bench/queue.ts).
   */
  private batchOperations(queue: string): BatchOperations {
    return {
      leaseAfterAcks: async (count, acks) => {
        // What popAtomic prefetched goes back to its place first, so that this lease gets it in order.
        await this.returnPrefetched(queue, 0);
        const { deliveries, stale } = await this.leaseAndAck(queue, count, 0, acks);
        return { deliveries, stale };
      },
      ackBatch: async (receipts) => (await this.leaseAndAck(queue, 0, 0, receipts)).stale,
      releaseQuietly: (deliveries) => this.releaseQuietly(queue, deliveries.map((d) => d.receipt)),
      // A batch leased ahead and never handed over: its lease counted a delivery, which release-7
      // takes back (as for a prefetch), so a failure before it costs these messages nothing.
      releaseUnhandled: (deliveries) => this.releaseUnhandled(queue, deliveries.map((d) => d.receipt)),
    };
  }

  async releaseUnhandled(queue: string, receipts: string[]): Promise<void> {
    try {
      await this.releaseReceipts(queue, receipts, 0, true);
    } catch (error) {
      log.error({ queue, err: toError(error).message }, 'could not give back leases no callback was handed; they will expire');
    }
  }



  async waitForMessage(queue: string, timeoutMs: number): Promise<boolean> {
    const keys = queueKeys(queue);
    if (this.prefetched.get(queue)?.length) return true;
    if (!(this.redis instanceof Redis) && Object.keys(this.redis.slots).length === 0) {
      // A cluster client learns its slot map on its first command: probe once to get it.
      if ((await this.probe(queue, keys)).ready > 0) return true;
    }
    let wake!: (value: boolean) => void;
    const woken = new Promise<boolean>((resolve) => (wake = resolve));
    const timers: NodeJS.Timeout[] = [];
    const dueIn = (ms: number) => {
      if (ms + DUE_MARGIN_MS < timeoutMs) timers.push(setTimeout(() => wake(true), ms + DUE_MARGIN_MS));
    };
    // Listen first, then look: a message made deliverable between the two is caught by the subscription.
    const leave = await this.wakeHub.listen(queue, { wake, dueIn });
    try {
      const { ready, nextDueMs } = await this.probe(queue, keys);
      if (ready > 0) return true;
      if (nextDueMs >= 0) dueIn(nextDueMs);
      timers.push(setTimeout(() => wake(false), timeoutMs));
      return await woken;
    } finally {
      leave();
      for (const timer of timers) clearTimeout(timer);
    }
  }

  async peek(queue: string, count = 10): Promise<string[]> {
    const keys = queueKeys(queue);
    if (!Number.isInteger(count) || count < 1 || count > MAX_LEASE_BATCH) throw new QueueUsageError(`peek count must be a whole number from 1 to ${MAX_LEASE_BATCH}`);
    const [records, raw] = (await this.run(queue, 'peek-5', [keys.due, keys.ready, keys.staging, keys.legacy, keys.clock], [count])) as [string[], string[]];
    return [...records.map((record) => decodeRecord(record).body), ...raw];
  }

  async stats(queue: string): Promise<QueueStats> {
    const keys = queueKeys(queue);
    const [ready, inFlight, delayed, dead, ageMs] = (await this.run(
      queue,
      'stats-8',
      [keys.legacy, keys.staging, keys.ready, keys.due, keys.inflight, keys.ages, keys.dead, keys.clock],
      [],
    )) as number[];
    return {
      ready: ready ?? 0,
      inFlight: inFlight ?? 0,
      delayed: delayed ?? 0,
      dead: dead ?? 0,
      oldestAgeSeconds: ageMs === undefined || ageMs < 0 ? null : Math.floor(ageMs / 1000),
    };
  }

  async readDeadLetters(queue: string, max: number): Promise<DeadLetter[]> {
    const keys = queueKeys(queue);
    if (!Number.isInteger(max) || max < 1) throw new QueueUsageError('readDeadLetters max must be a positive whole number');
    const records = await this.guard(queue, () => this.redis.zrange(keys.dead, 0, max - 1));
    return records.map((raw) => {
      const record = decodeRecord(raw);
      return { id: record.id, body: record.body, receiveCount: record.receiveCount, enqueuedAt: record.enqueuedAt };
    });
  }

  async deleteDeadLetters(queue: string, ids: string[]): Promise<number> {
    const keys = queueKeys(queue);
    const valid = ids.filter((id) => /^\d+$/.test(id));
    if (valid.length === 0) return 0;
    return (await this.run(queue, 'dead-delete-1', [keys.dead], valid)) as number;
  }

  async redriveDeadLetters(queue: string, options: RedriveOptions = {}): Promise<number> {
    const keys = queueKeys(queue);
    const max = options.max ?? 1000;
    const perSecond = options.perSecond ?? 100;
    if (!(perSecond > 0)) throw new QueueUsageError('redrive perSecond must be positive');
    // Ten slices a second: each script call moves one slice, then the client waits its share.
    const slice = Math.max(1, Math.ceil(perSecond / 10));
    const pauseMs = (1000 * slice) / perSecond;
    let moved = 0;
    while (moved < max) {
      const wanted = Math.min(slice, max - moved);
      const count = (await this.run(queue, 'redrive-5', [keys.dead, keys.due, keys.ages, keys.clock, keys.signal], [wanted])) as number;
      moved += count;
      if (count < wanted || moved >= max) break;
      await sleep(pauseMs);
    }
    return moved;
  }

  async purge(queue: string): Promise<void> {
    const keys = queueKeys(queue);
    this.dropPrefetched(queue);
    await this.guard(queue, () => this.redis.unlink(...messageKeys(keys), keys.pushed));
  }

  async close(): Promise<void> {
    for (const queue of [...this.prefetched.keys()]) await this.returnPrefetched(queue, 0);
    await this.rateCounter.flush();
    this.wakeHub.close();
    this.durableClient?.disconnect();
    if (!this.ownsClient) return;
    if (this.redis.status !== 'ready') {
      this.redis.disconnect();
      return;
    }
    try {
      await this.redis.quit();
    } catch {
      this.redis.disconnect();
    }
  }

  // ---------------------------------------------------------------- prefetch

  private keepPrefetched(queue: string, deliveries: Delivery[]): void {
    const at = Date.now();
    this.keepPrefetchedEntries(
      queue,
      deliveries.map((delivery) => ({ delivery, at, claimed: false })),
    );
  }

  /**
   * The oldest prefetched delivery of `queue` if it may still be handed out (claimed, or fresh);
   * when it may not, it and everything held after it go back (see giveBackFrom).
   */
  private takePrefetched(queue: string): Prefetched | undefined {
    const list = this.prefetched.get(queue);
    if (!list || list.length === 0) return undefined;
    const head = list[0]!;
    if (head.claimed || Date.now() - head.at < PREFETCH_FRESH_MS) return list.shift();
    void this.giveBackFrom(queue, 0);
    return undefined;
  }

  /**
   * Marks up to `count` of the oldest unclaimed fresh prefetches as claimed by the call about to
   * go out. It stops at the first one too old to claim and gives that one back with everything
   * after it, before the call goes out, so that the call's own prefetch takes them again in order.
   */
  private claimAhead(queue: string, count: number): Prefetched[] {
    const list = this.prefetched.get(queue);
    if (!list || count === 0) return [];
    const now = Date.now();
    const ahead: Prefetched[] = [];
    for (let i = 0; i < list.length && ahead.length < count; i += 1) {
      const entry = list[i]!;
      if (entry.claimed) continue;
      if (now - entry.at >= PREFETCH_FRESH_MS) {
        void this.giveBackFrom(queue, i);
        break;
      }
      entry.claimed = true;
      ahead.push(entry);
    }
    return ahead;
  }

  /**
   * Gives back the prefetched deliveries of `queue` from `index` on. Held messages are in queue
   * order, so one that goes back to its place takes every later one with it: a later one handed
   * out while an earlier one is on its way back would overtake it. The release is written to the
   * connection before this returns, so it reaches Redis ahead of any lease sent after it; what a
   * lease call already in flight prefetches follows (mergedLease). The promise settles with the
   * release's reply.
   */
  private giveBackFrom(queue: string, index: number): Promise<void> {
    const list = this.prefetched.get(queue);
    if (!list || index >= list.length) return Promise.resolve();
    const back = list.splice(index);
    if (list.length === 0) this.dropPrefetched(queue);
    this.givenBack.set(queue, (this.givenBack.get(queue) ?? 0) + 1);
    return this.giveBack(queue, back);
  }

  /** Returns prefetches no callback was handed to their places; their receive counts go back. */
  private async giveBack(queue: string, entries: Prefetched[]): Promise<void> {
    if (entries.length === 0) return;
    try {
      await this.releaseReceipts(queue, entries.map((entry) => entry.delivery.receipt), 0, true);
    } catch (error) {
      log.error({ queue, err: toError(error).message }, 'could not give back prefetched messages; their leases will expire');
    }
  }

  /**
   * Gives back what `queue` holds once its oldest delivery has waited `olderThanMs` unused (all of
   * it, in order: see giveBackFrom); otherwise waits for that.
   */
  private async returnPrefetched(queue: string, olderThanMs: number): Promise<void> {
    const list = this.prefetched.get(queue);
    if (!list || list.length === 0) return;
    if (Date.now() - list[0]!.at >= olderThanMs) {
      await this.giveBackFrom(queue, 0);
    } else {
      this.prefetched.set(queue, []);
      this.keepPrefetchedEntries(queue, list);
    }
  }

  /** Holds prefetched deliveries; the ones nobody takes within PREFETCH_IDLE_MS go back. */
  private keepPrefetchedEntries(queue: string, entries: Prefetched[]): void {
    const list = this.prefetched.get(queue) ?? [];
    list.push(...entries);
    this.prefetched.set(queue, list);
    if (!this.prefetchTimers.has(queue)) {
      const timer = setTimeout(() => {
        this.prefetchTimers.delete(queue);
        void this.returnPrefetched(queue, PREFETCH_IDLE_MS);
      }, PREFETCH_IDLE_MS);
      timer.unref();
      this.prefetchTimers.set(queue, timer);
    }
  }

  private dropPrefetched(queue: string): void {
    this.prefetched.delete(queue);
    const timer = this.prefetchTimers.get(queue);
    if (timer) clearTimeout(timer);
    this.prefetchTimers.delete(queue);
  }

  // ---------------------------------------------------------------- encoding

  /** Serialises a message with its source fields and the script's stamp flag ('S' or 'K'); enforces the size limit. */
  private encodePush(queue: string, message: MessageBody, options: PushOptions): string {
    if (!isJsonObject(message)) throw new QueueUsageError('a queue message must be a JSON object');
    let arg = this.encodeFresh(message, options.sourceType ?? 'direct');
    if (arg === undefined) {
      const stamped = withSourceFields(message, this.identity, options.sourceType);
      const stamp = needsEnqueuedTime(stamped);
      if (stamp) delete stamped.source_enqueued_time;
      arg = (stamp ? 'S' : 'K') + JSON.stringify(stamped);
    }
    // The stored body: the text after the flag, plus the enqueue time the script appends (an
    // upper bound: `,"source_enqueued_time":` and ten digits).
    assertMessageFits(queue, arg.slice(1) + (arg[0] === 'S' ? ',"source_enqueued_time":0000000000' : ''), this.settings(queue).maxMessageBytes);
    if (!options.idempotencyKey) return arg;
    const key = options.idempotencyKey(message);
    if (!/^[^\r\n]{1,200}$/.test(key)) throw new QueueUsageError('an idempotency key must be 1 to 200 characters without a line break');
    // 'T'/'L' are 'S'/'K' with the key before the body (push-10.lua)
    return `${arg[0] === 'S' ? 'T' : 'L'}${key}\n${arg.slice(1)}`;
  }

  /**
   * The common case, a message that carries none of the source fields, without copying it: the
   * same text as withSourceFields + JSON.stringify (fields appended in the same order), about ten
   * times cheaper per message, which is most of pushBatch's client-side cost. Undefined otherwise.
   */
  private encodeFresh(message: MessageBody, sourceType: SourceType): string | undefined {
    for (const field of SOURCE_FIELDS) if (field in message) return undefined;
    const json = JSON.stringify(message);
    if (json[0] !== '{' || json[json.length - 1] !== '}') return undefined; // a toJSON of its own
    let suffix = this.sourceSuffixes.get(sourceType);
    if (suffix === undefined) {
      // withSourceFields on an empty object lists the fields in order; drop its braces
      suffix = JSON.stringify(withSourceFields({}, this.identity, sourceType)).slice(1);
      this.sourceSuffixes.set(sourceType, suffix);
    }
    return json === '{}' ? `S{${suffix}` : `S${json.slice(0, -1)},${suffix}`;
  }

  private async releaseQuietly(queue: string, receipts: string[]): Promise<void> {
    try {
      await this.releaseMany(queue, receipts);
    } catch (error) {
      // The callback's error is what the caller needs; the lease runs out and the message returns.
      log.error({ queue, err: toError(error).message }, 'could not release after a failed callback; the lease will expire');
    }
  }

  private visibilityMs(queue: string): number {
    return secondsToMs(this.settings(queue).visibilityTimeoutSeconds, 'visibility timeout');
  }

  private async probe(queue: string, keys: QueueKeys): Promise<{ ready: number; nextDueMs: number }> {
    const [ready, nextDue] = (await this.run(queue, 'probe-6', [keys.legacy, keys.staging, keys.ready, keys.due, keys.leases, keys.clock], [])) as [number, string];
    return { ready, nextDueMs: Number(nextDue) };
  }

  private run(queue: string, name: LuaScriptName, keys: string[], args: (string | number)[]): Promise<unknown> {
    return this.guard(queue, () => runQueueScript(this.redis, this.rateCounter, queue, name, keys, args));
  }

  /**
   * Runs a state-changing script with a call number and the reply cache key (inserted before
   * `trailingKeys`, the channels), so that a re-sent call answers what the first one did.
   */
  private async runCall(
    queue: string,
    name: LuaScriptName,
    keys: string[],
    args: (string | number)[],
    trailingKeys: string[] = [],
    client: Redis | Cluster = this.redis,
  ): Promise<unknown> {
    const { call, done } = this.ledger.begin(queue);
    const reply = await this.guard(queue, () => runQueueScript(client, this.rateCounter, queue, name, [...keys, repliesKey(queue, this.ledger.session), ...trailingKeys], [call, done, ...args]));
    this.ledger.received(queue, call);
    return reply;
  }

  /** Turns every Redis or network failure into QueueUnavailableError; the operation may not have happened. */
  private async guard<T>(queue: string, operation: () => Promise<T>): Promise<T> {
    try {
      return await operation();
    } catch (error) {
      if (error instanceof BufferError) throw error;
      const reason = toError(error).message.slice(0, 200);
      throw new QueueUnavailableError(`Redis did not complete the operation on queue ${queue}: ${reason}`, { cause: error });
    }
  }
}

function delayMs(delaySeconds: number | undefined): number {
  if (delaySeconds === undefined || delaySeconds === 0) return 0;
  return secondsToMs(delaySeconds, 'delay');
}

function secondsToMs(seconds: number, what: string): number {
  if (!Number.isFinite(seconds) || seconds <= 0 || seconds > 12 * 3600) throw new QueueUsageError(`${what} must be between 0 and 43200 seconds`);
  return Math.round(seconds * 1000);
}
