/**
 * The Redis side of partition ownership and fenced consumption: thin wrappers over the
 * partition-* Lua scripts (lib/queue/redis/lua), each on the keys of one slot (a partition's
 * `{q#p}` keys, or the group's `{q}:members`), so that they run on a Redis Cluster too.
 */
import type { Cluster, Redis } from 'ioredis';
import { BufferError, toError } from '../../errors';
import { QueueUnavailableError } from '../errors';
import { CallLedger } from '../redis/call-ledger';
import { queueKeys, repliesKey } from '../redis/keys';
import { decodeRecord, receiptReceiveCount } from '../redis/record';
import { RateCounter } from '../redis/rate-counter';
import { runQueueScript } from '../redis/scripts';
import type { LuaScriptName } from '../redis/lua';
import type { Delivery } from '../types';

/** The partition's owner hash: owner, token, deadline and the token its in-flight messages were leased under. */
export function partitionOwnerKey(partitionQueue: string): string {
  return `{${partitionQueue}}:owner`;
}

/** The partition's fencing counter: one more for every new owner, never reset. */
export function partitionFenceKey(partitionQueue: string): string {
  return `{${partitionQueue}}:fence`;
}

/** The consumer group's membership (heartbeats) of partitioned queue `queue`. */
export function partitionMembersKey(queue: string): string {
  return `{${queue}}:members`;
}

/**
 * The pub/sub channel on which the members of a partitioned queue's group tell each other to
 * rebalance now (one joined, left or gave partitions up); a channel, not a key.
 */
export function partitionNoticeChannel(queue: string): string {
  return `{${queue}}:members:notice`;
}

/** What a fenced lease answered; `stale`: the receipts among its acks that were refused or no longer held. */
export type PartitionLeaseResult =
  | { status: 'ok'; deliveries: Delivery[]; stale: string[] }
  | { status: 'fenced' | 'busy' | 'more'; deliveries: []; stale: string[] };

/**
 * Runs the partition scripts over one client; owns a call ledger for the reply cache of the
 * state-changing ones. Its fenced acks count in the client's queue rates (../redis/rate-counter.ts),
 * the counter the backend over the same client writes.
 */
export class RedisPartitionScripts {
  private readonly ledger = new CallLedger();
  private readonly rates: RateCounter;

  constructor(private readonly redis: Redis | Cluster) {
    this.rates = RateCounter.of(redis);
  }

  /** Writes the rate counts not written yet (a consumer that closes). */
  flushRates(): Promise<void> {
    return this.rates.flush();
  }

  /** Claims the partition: the fencing token, or 0 while another consumer's lease runs. */
  async claim(partitionQueue: string, consumerId: string, leaseMs: number): Promise<number> {
    return (await this.owner(partitionQueue, ['claim', consumerId, '0', leaseMs])) as number;
  }

  /** Renews the partition lease: the token, or 0 when the partition was lost. */
  async renew(partitionQueue: string, consumerId: string, token: number, leaseMs: number): Promise<number> {
    return (await this.owner(partitionQueue, ['renew', consumerId, String(token), leaseMs])) as number;
  }

  /** Gives the partition up; false when the caller no longer owned it. */
  async give(partitionQueue: string, consumerId: string, token: number): Promise<boolean> {
    return (await this.owner(partitionQueue, ['give', consumerId, String(token), 0])) === 1;
  }

  /** Heartbeat of `consumerId` in the group of `queue`; resolves with the live members, sorted. */
  async beat(queue: string, consumerId: string, ttlMs: number): Promise<string[]> {
    const members = (await this.run(queue, 'partition-members-1', [partitionMembersKey(queue)], ['beat', consumerId, ttlMs])) as string[];
    return members.sort();
  }

  /** Leaves the group of `queue` at once (close), so that the others rebalance without waiting for the heartbeat to run out. */
  async leave(queue: string, consumerId: string): Promise<void> {
    await this.run(queue, 'partition-members-1', [partitionMembersKey(queue)], ['leave', consumerId, 0]);
  }

  /**
   * The fenced lease of up to `max` messages of one partition, after the fenced ack of `acks`
   * (the previous batch's receipts) in the same call (see partition-lease-13.lua).
   */
  async lease(
    partitionQueue: string,
    owner: { consumerId: string; token: number },
    max: number,
    visibilityMs: number,
    maxReceiveCount: number,
    acks: string[] = [],
  ): Promise<PartitionLeaseResult> {
    const keys = queueKeys(partitionQueue);
    const [status, leased, stale] = (await this.runCall(
      partitionQueue,
      'partition-lease-13',
      [keys.legacy, keys.staging, keys.ready, keys.due, keys.inflight, keys.leases, keys.prefetched, keys.ages, keys.dead, keys.seq, keys.clock, partitionOwnerKey(partitionQueue)],
      [owner.consumerId, String(owner.token), max, visibilityMs, maxReceiveCount, 1000, ...acks],
    )) as [string, string[], string[]];
    if (status !== 'ok') return { status: status as 'fenced' | 'busy' | 'more', deliveries: [], stale };
    const deliveries: Delivery[] = [];
    for (let i = 0; i < leased.length; i += 2) {
      const receipt = leased[i] as string;
      const record = decodeRecord(leased[i + 1] as string);
      deliveries.push({ id: record.id, body: record.body, receipt, receiveCount: receiptReceiveCount(receipt), enqueuedAt: record.enqueuedAt, queue: partitionQueue });
    }
    return { status: 'ok', deliveries, stale };
  }

  /** The fenced ack on its own (a loop that stops: no next lease to carry it): resolves with the stale receipts (all of them once the partition has another owner). */
  async ack(partitionQueue: string, owner: { consumerId: string; token: number }, receipts: string[]): Promise<string[]> {
    const keys = queueKeys(partitionQueue);
    return (await this.runCall(
      partitionQueue,
      'partition-ack-6',
      [keys.inflight, keys.leases, keys.prefetched, keys.ages, partitionOwnerKey(partitionQueue)],
      [owner.consumerId, String(owner.token), ...receipts],
    )) as string[];
  }

  private owner(partitionQueue: string, args: (string | number)[]): Promise<unknown> {
    return this.run(partitionQueue, 'partition-owner-2', [partitionOwnerKey(partitionQueue), partitionFenceKey(partitionQueue)], args);
  }

  /** A state-changing script with a call number and the reply cache key last in KEYS (as the backend's runCall does). */
  private async runCall(queue: string, name: LuaScriptName, keys: string[], args: (string | number)[]): Promise<unknown> {
    const { call, done } = this.ledger.begin(queue);
    const reply = await this.run(queue, name, [...keys, repliesKey(queue, this.ledger.session)], [call, done, ...args]);
    this.ledger.received(queue, call);
    return reply;
  }

  private async run(queue: string, name: LuaScriptName, keys: string[], args: (string | number)[]): Promise<unknown> {
    try {
      return await runQueueScript(this.redis, this.rates, queue, name, keys, args);
    } catch (error) {
      if (error instanceof BufferError) throw error;
      const reason = toError(error).message.slice(0, 200);
      throw new QueueUnavailableError(`Redis did not complete the partition operation on queue ${queue}: ${reason}`, { cause: error });
    }
  }
}
