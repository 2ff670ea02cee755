/**
 * The consumer side of a partitioned queue on Redis (docs/queue.md, Partitions): a group of
 * PartitionedConsumers shares the partitions of one queue, each partition owned by one consumer
 * at a time through a fenced lease in Redis, and each consumer runs one loop per partition it
 * owns that hands its handler one message (or one in-order batch) at a time. So the messages of
 * one key are processed in order while different partitions run in parallel.
 *
 * Every `leaseMs / 3` a consumer beats its membership, renews what it owns and rebalances: the
 * live members sorted by id, partition p belongs to member p mod (number of members). It gives up
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
import type { Delivery, MessageBody, QueueBackend } from '../types';
import { RedisPartitionScripts } from './redis-partition-scripts';
import { checkPartitionSpec, partitionQueueName, type PartitionSpec } from './routing';

const defaultLog = createLogger({ component: 'queue.partitions' });

/** Handles one message of a partition; a throw releases it (it comes back first, with a higher receiveCount). */
export type PartitionHandler = (body: MessageBody, delivery: Delivery) => Promise<void>;

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
  handler: PartitionHandler;
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
   * takes no more work than it can do, and the group's other members take the rest.
   */
  concurrency?: number;
  /** Messages per handler call: 1 (one at a time). Reserved; only 1 is accepted today. */
  batch?: 1;
  /** Where partition changes and handler failures are logged; the library's logger by default. */
  logger?: Logger;
}

interface Owned {
  partition: number;
  queue: string;
  token: number;
  /** False once lost (renewal refused, fenced lease) or being given up: the loop stops. */
  active: boolean;
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
  /** Some partition of this consumer's share is still held by its previous owner: the next tick comes sooner. */
  private claimsPending = false;
  /** When the owned partitions' leases were last renewed (this process's clock: only the interval matters). */
  private renewedAt = 0;
  private timer?: NodeJS.Timeout;
  private ticking?: Promise<void>;

  private readonly log: Logger;

  constructor(private readonly options: PartitionedConsumerOptions) {
    this.log = options.logger ?? defaultLog;
    this.spec = checkPartitionSpec(options.spec);
    this.consumerId = options.consumerId ?? `${process.pid}-${randomBytes(6).toString('hex')}`;
    this.leaseMs = options.leaseMs ?? 10_000;
    this.visibilityMs = options.visibilityMs ?? 30_000;
    this.maxReceiveCount = options.maxReceiveCount ?? 5;
    if (!Number.isInteger(this.leaseMs) || this.leaseMs < 300) throw new QueueUsageError('leaseMs must be a whole number of at least 300');
    if (options.batch !== undefined && options.batch !== 1) throw new QueueUsageError('batch: only 1 is supported');
    if (options.concurrency !== undefined) {
      if (!Number.isInteger(options.concurrency) || options.concurrency < 1) throw new QueueUsageError('concurrency must be a whole number of at least 1');
      this.slots = new Slots(options.concurrency);
    }
    this.scripts = new RedisPartitionScripts(options.redis);
  }

  /** Joins the group and starts the rebalancing ticks; resolves after the first (the partitions it could take are running). */
  async start(): Promise<void> {
    await this.tick();
    this.schedule();
  }

  /** The partitions this consumer owns and runs now, ascending. */
  partitions(): number[] {
    return [...this.owned.values()].filter((o) => o.active).map((o) => o.partition).sort((a, b) => a - b);
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
    } catch (error) {
      this.log.warn({ queue: this.spec.queue, err: toError(error).message }, 'could not leave the group; the heartbeat will run out');
    }
    // Its last fenced acks' rate counts, which would otherwise wait for the client's next flush.
    await this.scripts.flushRates();
  }

  private schedule(): void {
    if (this.closing) return;
    this.timer = setTimeout(() => {
      this.ticking = this.tick()
        .catch((error: unknown) => this.log.warn({ queue: this.spec.queue, err: toError(error).message }, 'partition rebalancing tick failed'))
        .finally(() => this.schedule());
    }, this.claimsPending ? Math.min(CLAIM_RETRY_MS, Math.floor(this.leaseMs / 3)) : Math.floor(this.leaseMs / 3));
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
    if (this.closing) return;
    let pending = false;
    for (const partition of share) {
      if (this.owned.has(partition)) continue;
      const queue = partitionQueueName(this.spec.queue, partition);
      const token = await this.scripts.claim(queue, this.consumerId, this.leaseMs);
      if (token === 0) {
        // Still held by the previous owner (giving it up at its next tick, or its lease about to
        // run out): try again soon rather than a whole tick later.
        pending = true;
        continue;
      }
      const owned: Owned = { partition, queue, token, active: true };
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
    this.log.warn({ queue: owned.queue, consumer: this.consumerId, why }, 'partition lost');
  }

  /** Gives the partition up once its loop has settled the message in progress (one give-up per ownership). */
  private giveUp(owned: Owned): Promise<void> {
    owned.giving ??= this.settleAndGive(owned);
    return owned.giving;
  }

  private async settleAndGive(owned: Owned): Promise<void> {
    owned.active = false;
    await owned.loop;
    this.owned.delete(owned.partition);
    try {
      await this.scripts.give(owned.queue, this.consumerId, owned.token);
    } catch (error) {
      this.log.warn({ queue: owned.queue, err: toError(error).message }, 'could not give the partition up; its lease will run out');
    }
  }

  /** The loop of one owned partition: a fenced lease, the handler, a fenced ack; waits (woken by pushes) when empty. */
  private async run(owned: Owned): Promise<void> {
    try {
      await this.loop(owned);
    } finally {
      if (!owned.giving && this.owned.get(owned.partition) === owned) this.owned.delete(owned.partition);
    }
  }

  private async loop(owned: Owned): Promise<void> {
    const waitMs = Math.min(1000, Math.floor(this.leaseMs / 3));
    while (owned.active) {
      // A slot before the lease, so that no message waits leased for a free handler.
      await this.slots?.acquire();
      let slotHeld = true;
      const freeSlot = () => {
        if (slotHeld) this.slots?.release();
        slotHeld = false;
      };
      try {
        if (!owned.active) return;
        const result = await this.scripts.lease(owned.queue, { consumerId: this.consumerId, token: owned.token }, 1, this.visibilityMs, this.maxReceiveCount);
        if (result.status === 'fenced') {
          // Lost to another consumer, or our lease ran out before a renewal: the next tick claims
          // it again when it is still our share and nobody took it.
          this.lose(owned, 'lease fenced');
          return;
        }
        if (result.status === 'busy') {
          freeSlot();
          await sleep(Math.min(100, waitMs));
          continue;
        }
        if (result.status === 'more') continue;
        const [delivery] = result.deliveries;
        if (!delivery) {
          freeSlot();
          await this.options.backend.waitForMessage(owned.queue, waitMs);
          continue;
        }
        await this.handle(owned, delivery);
      } catch (error) {
        freeSlot();
        this.log.warn({ queue: owned.queue, err: toError(error).message }, 'partition loop step failed; retrying');
        await sleep(Math.min(200, waitMs));
      } finally {
        freeSlot();
      }
    }
  }

  private async handle(owned: Owned, delivery: Delivery): Promise<void> {
    try {
      const parsed = parseJsonObject(delivery.body);
      if (!parsed.ok) throw new MalformedQueueMessageError(delivery, 'not a JSON object');
      await this.options.handler(parsed.value, delivery);
    } catch (error) {
      this.log.warn({ queue: owned.queue, id: delivery.id, err: toError(error).message }, 'handler failed; message released to its place');
      // Released at once to its original position: the partition's next lease delivers it again
      // before anything after it (backend.release is safe for a stale owner: a lease the new
      // owner already returned is stale and nothing happens).
      await this.options.backend.release(owned.queue, delivery.receipt).catch(() => undefined);
      return;
    }
    const stale = await this.scripts.ack(owned.queue, { consumerId: this.consumerId, token: owned.token }, [delivery.receipt]);
    if (stale.length > 0) this.log.warn({ queue: owned.queue, id: delivery.id }, 'ack refused (partition lost or lease ran out): the message will be processed again');
  }
}

/** Starts a PartitionedConsumer (joined, first rebalance done) and resolves with it; close() it to stop. */
export async function consumePartitioned(options: PartitionedConsumerOptions): Promise<PartitionedConsumer> {
  const consumer = new PartitionedConsumer(options);
  await consumer.start();
  return consumer;
}
