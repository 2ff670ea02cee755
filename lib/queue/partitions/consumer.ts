/**
 * The consumer side of a partitioned queue on Redis (docs/queue.md, Partitions): a group of
 * PartitionedConsumers shares the partitions of one queue, each partition owned by one consumer
 * at a time through a fenced lease in Redis, and each consumer runs one loop per partition it
 * owns that hands its handler one message (or one in-order batch) at a time. So the messages of
 * one key are processed in order while different partitions run in parallel. Each loop is the
 * shared batch algorithm (consumeBatchesWith) over fenced operations: a batch's acks ride on the
 * partition's next fenced lease, one script call per batch in the steady state.
 *
 * Every `leaseMs / 3`, and at once when another member notices a change (it joined, left or gave
 * partitions up: a pub/sub notice), a consumer beats its membership, renews what it owns and
 * rebalances: the live members sorted by id, partition p belongs to member p mod (number of members). It gives up
 * what is no longer its share (after the message in progress there is settled) and claims what
 * is, once the previous owner gave it up or its lease ran out. A consumer that dies stops
 * beating: after `leaseMs` it drops out of the membership and its partition leases run out, the
 * others take them, and the first fenced lease of each new owner returns what the dead one held
 * to its place, so nothing is overtaken and nothing is lost.
 */
import { randomBytes } from 'node:crypto';
import type { Cluster, Redis } from 'ioredis';
import { toError } from '../../errors';
import { parseJsonObject } from '../../json-object';
import { createLogger, type Logger } from '../../log';
import { MalformedQueueMessageError, QueueUsageError } from '../errors';
import { consumeBatchesWith, type BatchOperations } from '../pop-atomic-batch';
import type { Delivery, MessageBody, QueueBackend } from '../types';
import { partitionNoticeChannel, RedisPartitionScripts } from './redis-partition-scripts';
import { checkPartitionSpec, partitionQueueName, type PartitionSpec } from './routing';

const defaultLog = createLogger({ component: 'queue.partitions' });

/** Handles one message of a partition; a throw releases it (it comes back first, with a higher receiveCount). */
export type PartitionHandler = (body: MessageBody, delivery: Delivery) => Promise<void>;

/**
 * Handles up to `batch` messages of one partition, in their order, as leased: the bodies are not
 * parsed here, as the unpartitioned `consumeBatches` hands its callback raw deliveries, so that a
 * consumer decides what a body that is not a JSON object means (runPartitionedBatchConsumer
 * stores it in `damaged` with its raw body and goes on, as runBatchConsumer does). Resolves with
 * the messages that failed, by `delivery.id`, with what they threw (none listed: all succeeded);
 * a throw fails them all. The first failed message and every one after it in the batch go back to
 * their places (a partition is one ordered sequence, as an SQS message group is), the ones before
 * it are acked; a handler that settles failures itself (stores them for a retry, say) reports only
 * the ones it could not settle. Reported with `uncounted`, they failed through no fault of their
 * own (a dependency was down) and go back with their receive counts as before this lease
 * (BatchLoopOutcome.uncounted).
 */
export type PartitionBatchHandler = (deliveries: Delivery[]) => Promise<PartitionBatchReport | void>;

/** What a PartitionBatchHandler reports: the failures alone, or with whether they go back uncounted. */
export type PartitionBatchReport = Map<string, unknown> | { failures: Map<string, unknown>; uncounted: boolean };

/** The failures a PartitionBatchHandler reported, whichever form it used (none: an empty map). */
export function reportedFailures(report: PartitionBatchReport | void): Map<string, unknown> {
  if (report instanceof Map) return report;
  return report?.failures ?? new Map<string, unknown>();
}

export interface PartitionedConsumerOptions {
  /** The Redis client the partition scripts run on (a Redis or a Cluster); the caller closes it. */
  redis: Redis | Cluster;
  /**
   * The Redis queue backend over the same Redis: releases after a failed handler and waits for
   * messages on the partition queues (woken by pushes). The caller closes it.
   */
  backend: QueueBackend;
  /** The queue and its partitions (definedPartitionSpec, or a spec of one's own in tests). */
  spec: PartitionSpec;
  /** One message at a time: exactly one of handler and handleBatch. */
  handler?: PartitionHandler;
  /** Up to `batch` in-order messages of one partition at a time. */
  handleBatch?: PartitionBatchHandler;
  /** Unique per consumer (a random one by default): the membership and the partition leases are by this id. */
  consumerId?: string;
  /** Partition lease and heartbeat lifetime (10 s by default); renewed every third of it. */
  leaseMs?: number;
  /** Message lease on a partition (30 s by default): how long a handler may run before its message may come back. */
  visibilityMs?: number;
  /** Deliveries before a message is dead-lettered (5 by default). */
  maxReceiveCount?: number;
  /**
   * Most handlers running at once in this consumer, over all the partitions it owns (one per
   * owned partition by default): a consumer with limited resources (one database connection)
   * runs no more at once than it can. Each owned partition still holds its one leased batch while
   * it waits for a slot, so `visibilityMs` must cover that wait.
   */
  concurrency?: number;
  /** Most messages per handleBatch call (1 by default; a `handler` takes them one at a time). */
  batch?: number;
  /** Where partition changes and handler failures are logged; the library's logger by default. */
  logger?: Logger;
  /**
   * Asked before each batch is handed to the handler and after each one: true stops the consumer
   * (stop()), and a batch not handed over goes back as never delivered. A run with a limit, or one
   * whose dependency failed, stops here at once rather than hand out batches it would only give
   * back (each such give-back would spend a delivery, and the loops would spin through them).
   */
  shouldStop?: () => boolean;
}

interface Owned {
  partition: number;
  queue: string;
  token: number;
  /** False once lost (renewal refused, fenced lease) or being given up: the loop stops. */
  active: boolean;
  /** Ends the loop's wait for messages at once (the partition is lost or being given up). */
  stop: () => void;
  stopped: Promise<void>;
  /** Being given up: giveUp, not the loop's end, forgets it (after the give-up is in Redis). */
  giving?: Promise<void>;
  /** The partition's loop; resolves once it stopped (its message in progress settled). */
  loop?: Promise<void>;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** How soon a consumer tries again to claim a partition of its share that its previous owner still held. */
const CLAIM_RETRY_MS = 100;

/** A counting semaphore: the handler slots of a consumer with a concurrency limit. */
class Slots {
  private readonly waiting: (() => void)[] = [];

  constructor(private free: number) {}

  async acquire(): Promise<void> {
    if (this.free > 0) {
      this.free -= 1;
      return;
    }
    await new Promise<void>((resolve) => this.waiting.push(resolve));
  }

  release(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.free += 1;
  }
}

/** One member of a partitioned queue's consumer group. start() joins; close() leaves and gives its partitions back. */
export class PartitionedConsumer {
  readonly consumerId: string;
  private readonly scripts: RedisPartitionScripts;
  private readonly spec: PartitionSpec;
  private readonly leaseMs: number;
  private readonly visibilityMs: number;
  private readonly maxReceiveCount: number;
  private readonly owned = new Map<number, Owned>();
  private readonly slots?: Slots;
  private closing = false;
  /** stop() was called: no batch is handed out any more; close() gives the partitions back. */
  private stopping = false;
  /** Some partition of this consumer's share is still held by its previous owner: the next tick comes sooner. */
  private claimsPending = false;
  /** When the owned partitions' leases were last renewed (this process's clock: only the interval matters). */
  private renewedAt = 0;
  private timer?: NodeJS.Timeout;
  private ticking?: Promise<void>;
  /** A notice came while a tick ran: another one follows at once. */
  private nudged = false;
  private subscriber?: Redis | Cluster;
  private readonly batch: number;

  private readonly log: Logger;

  constructor(private readonly options: PartitionedConsumerOptions) {
    this.log = options.logger ?? defaultLog;
    this.spec = checkPartitionSpec(options.spec);
    this.consumerId = options.consumerId ?? `${process.pid}-${randomBytes(6).toString('hex')}`;
    this.leaseMs = options.leaseMs ?? 10_000;
    this.visibilityMs = options.visibilityMs ?? 30_000;
    this.maxReceiveCount = options.maxReceiveCount ?? 5;
    if (!Number.isInteger(this.leaseMs) || this.leaseMs < 300) throw new QueueUsageError('leaseMs must be a whole number of at least 300');
    if ((options.handler === undefined) === (options.handleBatch === undefined)) throw new QueueUsageError('give exactly one of handler and handleBatch');
    this.batch = options.batch ?? 1;
    if (!Number.isInteger(this.batch) || this.batch < 1) throw new QueueUsageError('batch must be a whole number of at least 1');
    if (options.handler && this.batch !== 1) throw new QueueUsageError('batch: a handler takes one message at a time (use handleBatch)');
    if (options.concurrency !== undefined) {
      if (!Number.isInteger(options.concurrency) || options.concurrency < 1) throw new QueueUsageError('concurrency must be a whole number of at least 1');
      this.slots = new Slots(options.concurrency);
    }
    this.scripts = new RedisPartitionScripts(options.redis);
  }

  /**
   * Joins the group and starts the rebalancing ticks; resolves after the first (the partitions it
   * could take are running). It listens for the group's notices first, then tells the others it
   * joined, so that they give up its share at once rather than at their next tick.
   */
  async start(): Promise<void> {
    await this.listen();
    // Marked as the tick in progress, so that a notice meanwhile waits for it (ticks never overlap).
    this.ticking = this.tick();
    try {
      await this.ticking;
    } finally {
      this.ticking = undefined;
    }
    this.schedule(this.nudged ? 0 : undefined);
    this.nudged = false;
    await this.notify('joined');
  }

  /** The partitions this consumer owns and runs now, ascending. */
  partitions(): number[] {
    return [...this.owned.values()].filter((o) => o.active).map((o) => o.partition).sort((a, b) => a - b);
  }

  /**
   * Stops handing out batches, at once: each partition's loop finishes the batch in progress and
   * ends, the partition still held (and renewed) until close() gives it back. Batches leased and
   * not handed over go back as never delivered. Also what `shouldStop` answering true does.
   */
  stop(): void {
    this.stopping = true;
    for (const owned of this.owned.values()) owned.stop();
  }

  /**
   * Stops: each partition's loop finishes its message in progress, the partitions are given
   * back and the consumer leaves the group, so that the others take over at their next tick
   * rather than after the lease.
   */
  async close(): Promise<void> {
    this.closing = true;
    if (this.timer) clearTimeout(this.timer);
    await this.ticking;
    await Promise.all([...this.owned.values()].map((owned) => this.giveUp(owned)));
    try {
      await this.scripts.leave(this.spec.queue, this.consumerId);
      await this.notify('left');
    } catch (error) {
      this.log.warn({ queue: this.spec.queue, err: toError(error).message }, 'could not leave the group; the heartbeat will run out');
    }
    this.subscriber?.disconnect();
    // Its last fenced acks' rate counts, which would otherwise wait for the client's next flush.
    await this.scripts.flushRates();
  }

  /** The next tick after `delayMs` (by default a third of the lease, or CLAIM_RETRY_MS while claims are pending). */
  private schedule(delayMs?: number): void {
    if (this.closing) return;
    if (this.timer) clearTimeout(this.timer);
    const regular = Math.floor(this.leaseMs / 3);
    this.timer = setTimeout(() => this.runTick(), delayMs ?? (this.claimsPending ? Math.min(CLAIM_RETRY_MS, regular) : regular));
  }

  private runTick(): void {
    this.timer = undefined;
    this.ticking = this.tick()
      .catch((error: unknown) => this.log.warn({ queue: this.spec.queue, err: toError(error).message }, 'partition rebalancing tick failed'))
      .finally(() => {
        this.ticking = undefined;
        const again = this.nudged;
        this.nudged = false;
        this.schedule(again ? 0 : undefined);
      });
  }

  /** Another member's notice: tick now (after the tick in progress), the periodic tick stays the safety net. */
  private nudge(): void {
    if (this.closing) return;
    if (this.ticking) this.nudged = true;
    else this.schedule(0);
  }

  /**
   * Subscribes to the group's notices on a connection of its own. Without it (the subscription
   * failed) the group still rebalances, at the periodic ticks.
   */
  private async listen(): Promise<void> {
    const channel = partitionNoticeChannel(this.spec.queue);
    const subscriber = this.options.redis.duplicate();
    subscriber.on('error', (error: Error) => this.log.debug({ queue: this.spec.queue, err: error.message }, 'partition notice connection error'));
    subscriber.on('message', (from: string, message: string) => {
      if (from === channel && !message.endsWith(`:${this.consumerId}`)) this.nudge();
    });
    this.subscriber = subscriber;
    try {
      await subscriber.subscribe(channel);
    } catch (error) {
      this.log.warn({ queue: this.spec.queue, err: toError(error).message }, 'could not subscribe to the partition notices; rebalancing at the periodic ticks');
    }
  }

  /** Tells the group's other members to rebalance now; a lost notice only delays them to their next tick. */
  private async notify(kind: 'joined' | 'left' | 'gave'): Promise<void> {
    await this.options.redis.publish(partitionNoticeChannel(this.spec.queue), `${kind}:${this.consumerId}`).catch((error: unknown) => {
      this.log.debug({ queue: this.spec.queue, err: toError(error).message }, 'partition notice not sent');
    });
  }

  /** Heartbeat, renewals, then the rebalance towards this consumer's share. */
  private async tick(): Promise<void> {
    const members = await this.scripts.beat(this.spec.queue, this.consumerId, this.leaseMs);
    const index = members.indexOf(this.consumerId);
    const share = new Set<number>();
    for (let p = 0; p < this.spec.partitions; p += 1) if (index >= 0 && p % members.length === index) share.add(p);

    // A quick tick (claims pending) renews only when a regular one would: renewals cost a call per partition.
    const renewing = Date.now() - this.renewedAt >= Math.floor(this.leaseMs / 3) - CLAIM_RETRY_MS;
    if (renewing) this.renewedAt = Date.now();
    for (const owned of [...this.owned.values()]) {
      if (!owned.active) continue;
      if (!share.has(owned.partition)) {
        // Not ours any more: give it up once its message in progress is settled (in the background,
        // so that a slow handler does not hold the renewals of the other partitions).
        void this.giveUp(owned);
        continue;
      }
      if (!renewing) continue;
      const token = await this.scripts.renew(owned.queue, this.consumerId, owned.token, this.leaseMs);
      if (token !== owned.token) this.lose(owned, 'renewal refused');
    }
    if (this.closing || this.stopping) return;
    let pending = false;
    for (const partition of share) {
      const held = this.owned.get(partition);
      if (held) {
        // Lost or being given up, its loop not ended yet: claim it again once it has.
        if (!held.active) pending = true;
        continue;
      }
      const queue = partitionQueueName(this.spec.queue, partition);
      const token = await this.scripts.claim(queue, this.consumerId, this.leaseMs);
      if (token === 0) {
        // Still held by the previous owner (giving it up at its next tick, or its lease about to
        // run out): try again soon rather than a whole tick later.
        pending = true;
        continue;
      }
      let stop!: () => void;
      const stopped = new Promise<void>((resolve) => (stop = resolve));
      const owned: Owned = { partition, queue, token, active: true, stop, stopped };
      this.owned.set(partition, owned);
      owned.loop = this.run(owned);
      this.log.debug({ queue, consumer: this.consumerId, token }, 'partition claimed');
    }
    this.claimsPending = pending;
  }

  /**
   * The partition was lost: its loop stops after the message in progress. It stays in `owned`
   * until the loop has ended, so that a new claim of the same partition never runs a second loop
   * beside a handler still running.
   */
  private lose(owned: Owned, why: string): void {
    owned.active = false;
    owned.stop();
    this.log.warn({ queue: owned.queue, consumer: this.consumerId, why }, 'partition lost');
  }

  /** Gives the partition up once its loop has settled the message in progress (one give-up per ownership). */
  private giveUp(owned: Owned): Promise<void> {
    owned.giving ??= this.settleAndGive(owned);
    return owned.giving;
  }

  private async settleAndGive(owned: Owned): Promise<void> {
    owned.active = false;
    owned.stop();
    await owned.loop;
    this.owned.delete(owned.partition);
    try {
      await this.scripts.give(owned.queue, this.consumerId, owned.token);
      if (!this.closing) await this.notify('gave');
    } catch (error) {
      this.log.warn({ queue: owned.queue, err: toError(error).message }, 'could not give the partition up; its lease will run out');
    }
  }

  /** The loop of one owned partition: a fenced lease, the handler, a fenced ack; waits (woken by pushes) when empty. */
  private async run(owned: Owned): Promise<void> {
    try {
      await this.loop(owned);
    } finally {
      // A lost partition is forgotten here; one whose loop ended because the consumer stopped is
      // still held, and close() gives it back.
      if (!owned.active && !owned.giving && this.owned.get(owned.partition) === owned) this.owned.delete(owned.partition);
    }
  }

  /**
   * consumeBatchesWith over the partition's fenced operations until the partition is empty, then
   * a wait (woken by pushes), while the partition is ours.
   */
  private async loop(owned: Owned): Promise<void> {
    const waitMs = Math.min(1000, Math.floor(this.leaseMs / 3));
    const operations = this.fencedOperations(owned, waitMs);
    const running = () => owned.active && !this.stopping;
    while (running()) {
      try {
        const result = await consumeBatchesWith(
          operations,
          () => (running() ? this.batch : 0),
          async (deliveries) => {
            const handled = await this.handle(owned, deliveries);
            if (handled === undefined) return { failedIds: [], unhandled: true };
            if (this.options.shouldStop?.()) this.stop();
            return { ...handled, stop: !running() };
          },
        );
        if (result.stale > 0) this.log.warn({ queue: owned.queue, stale: result.stale }, 'acks refused (partition lost or lease ran out): those messages will be processed again');
        if (result.stoppedBecause === 'empty' && running()) await Promise.race([this.options.backend.waitForMessage(owned.queue, waitMs), owned.stopped]);
      } catch (error) {
        this.log.warn({ queue: owned.queue, err: toError(error).message }, 'partition loop step failed; retrying');
        await sleep(Math.min(200, waitMs));
      }
    }
  }

  /**
   * The batch operations of one owned partition, every one fenced by the ownership's token: the
   * lease carries the previous batch's acks; a fenced lease stops the loop (the partition was lost);
   * `busy` (something of the partition still in flight, e.g. a release that did not reach Redis)
   * waits until it is returned or its lease runs out.
   */
  private fencedOperations(owned: Owned, waitMs: number): BatchOperations {
    const owner = { consumerId: this.consumerId, token: owned.token };
    return {
      oneBatchAtATime: true,
      leaseAfterAcks: async (max, acks) => {
        let pending = acks;
        const stale: string[] = [];
        for (;;) {
          const result = await this.scripts.lease(owned.queue, owner, max, this.visibilityMs, this.maxReceiveCount, pending);
          pending = [];
          stale.push(...result.stale);
          if (result.status === 'ok') return { deliveries: result.deliveries, stale };
          if (result.status === 'fenced') {
            // Lost to another consumer, or our lease ran out before a renewal: the next tick claims
            // it again when it is still our share and nobody took it.
            this.lose(owned, 'lease fenced');
            return { deliveries: [], stale };
          }
          if (!owned.active) return { deliveries: [], stale };
          if (result.status === 'busy') await sleep(Math.min(100, waitMs));
        }
      },
      ackBatch: (receipts) => this.scripts.ack(owned.queue, owner, receipts),
      // A stale owner's release finds its lease gone and changes nothing (the new owner returned it).
      releaseQuietly: async (deliveries) => {
        await Promise.all(deliveries.map((delivery) => this.options.backend.release(owned.queue, delivery.receipt).catch(() => undefined)));
      },
      // A batch the consumer stopped before handing over (lib/queue/types.ts, BatchLoopOutcome.unhandled).
      releaseUnhandled: this.options.backend.releaseUnhandled
        ? (deliveries) => this.options.backend.releaseUnhandled!(owned.queue, deliveries.map((delivery) => delivery.receipt))
        : undefined,
    };
  }

  /**
   * Runs the handler over a batch of the partition; resolves with the ids that go back to their
   * places: the first failed message and every one after it (released at once, so the partition's
   * next lease delivers them again, first), and whether they go back uncounted; undefined when the
   * consumer stopped before the batch was handed over (it goes back untouched).
   */
  private async handle(owned: Owned, deliveries: Delivery[]): Promise<{ failedIds: string[]; uncounted: boolean } | undefined> {
    const failures = new Map<string, unknown>();
    let uncounted = false;
    // Only the handler takes a slot, never a lease or a busy partition's wait: a slot then only
    // ever waits for handlers, whatever Redis or another partition does.
    await this.slots?.acquire();
    if (this.stopping || this.options.shouldStop?.()) {
      this.slots?.release();
      this.stop();
      return undefined;
    }
    try {
      if (this.options.handleBatch) {
        const reported = await this.options.handleBatch(deliveries);
        if (reported && !(reported instanceof Map)) uncounted = reported.uncounted;
        for (const [id, error] of reportedFailures(reported)) failures.set(id, error);
      } else {
        for (const delivery of deliveries) {
          // A plain handler takes JSON objects: any other body fails it (released, and in the end
          // dead-lettered); a consumer that keeps such bodies elsewhere uses handleBatch.
          const body = parseJsonObject(delivery.body);
          if (!body.ok) {
            failures.set(delivery.id, new MalformedQueueMessageError(delivery, 'not a JSON object'));
            break;
          }
          await this.options.handler!(body.value, delivery);
        }
      }
    } catch (error) {
      for (const delivery of deliveries) failures.set(delivery.id, error);
    } finally {
      this.slots?.release();
    }
    const first = deliveries.findIndex((delivery) => failures.has(delivery.id));
    if (first < 0) return { failedIds: [], uncounted: false };
    const failed = deliveries[first]!;
    this.log.warn({ queue: owned.queue, id: failed.id, returned: deliveries.length - first, uncounted, err: toError(failures.get(failed.id)).message }, 'handler failed; messages released to their places');
    return { failedIds: deliveries.slice(first).map((delivery) => delivery.id), uncounted };
  }
}

/** Starts a PartitionedConsumer (joined, first rebalance done) and resolves with it; close() it to stop. */
export async function consumePartitioned(options: PartitionedConsumerOptions): Promise<PartitionedConsumer> {
  const consumer = new PartitionedConsumer(options);
  await consumer.start();
  return consumer;
}
