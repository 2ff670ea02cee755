/**
 * Redis key names of one queue. Every key shares the hash tag `{queue}`, so one script can touch
 * them all on Redis Cluster. The legacy list is the bare queue name (legacy producers RPUSH onto
 * it): a key without braces hashes whole, so `pending` lands in the same slot as `{pending}:ready`.
 */
import { QueueUsageError } from '../errors';

export interface QueueKeys {
  /** Plain list that legacy producers RPUSH raw JSON onto; absorbed into `ready`. */
  legacy: string;
  /** Where waitForMessage's blocking BLMOVE parks legacy elements until a lease absorbs them. */
  staging: string;
  /** List of records `id|enqueuedMs|receiveCount|body` in enqueue order, oldest at the head. */
  ready: string;
  /**
   * Sorted set padded record → position (ms): delayed messages and redeliveries, merged with the
   * ready list by (position, id) when leasing (lua/includes/front.lua).
   */
  due: string;
  /** Hash id → record of leased and prefetched messages, as leased. */
  inflight: string;
  /** Sorted set receipt → lease deadline (ms, queue clock): a receipt is current while it is here. */
  leases: string;
  /** Set of the in-flight ids that are prefetches not claimed yet (their delivery does not count). */
  prefetched: string;
  /** Sorted set id → enqueue time (ms) of every message in `due` or in flight: the oldest age without a scan. */
  ages: string;
  /** Sorted set record → id: messages past maxReceiveCount, oldest first. */
  dead: string;
  /** Counter handing out message ids; survives purge so ids are never reused. */
  seq: string;
  /** The last position handed out (ms): the queue's clock never runs backwards (lua/includes/clock.lua). */
  clock: string;
  /** Sharded pub/sub channel the push scripts notify waiting consumers on. */
  signal: string;
  /** Sorted set idempotency key → push time (ms) of pushes that carried one, within the retention window. */
  pushed: string;
}

/**
 * Letters, digits and `_ . : -` only: braces would break the hash tag. `#` separates a
 * partitioned queue's name from its partition number (`donations#3`, lib/queue/partitions).
 */
const QUEUE_NAME = /^[A-Za-z0-9_.:#-]{1,200}$/;

/** The hash of `queue`'s per-minute traffic counts (./rate-counter.ts) for one unix minute. */
export function rateKey(queue: string, unixMinute: number): string {
  queueKeys(queue);
  return `{${queue}}:rate:${unixMinute}`;
}

/** Key names for `queue`; rejects names that would break the shared hash slot. */
export function queueKeys(queue: string): QueueKeys {
  if (!QUEUE_NAME.test(queue)) {
    throw new QueueUsageError(`invalid queue name ${JSON.stringify(queue.slice(0, 60))}: use letters, digits and _ . : # - (at most 200)`);
  }
  const tag = `{${queue}}`;
  return {
    legacy: queue,
    staging: `${tag}:staging`,
    ready: `${tag}:ready`,
    due: `${tag}:due`,
    inflight: `${tag}:inflight`,
    leases: `${tag}:leases`,
    prefetched: `${tag}:prefetched`,
    ages: `${tag}:ages`,
    dead: `${tag}:dead`,
    seq: `${tag}:seq`,
    clock: `${tag}:clock`,
    signal: `${tag}:signal`,
    pushed: `${tag}:pushed`,
  };
}

/** The reply cache of one client session on `queue` (lua/includes/replies.lua). */
export function repliesKey(queue: string, session: string): string {
  return `{${queue}}:replies:${session}`;
}

/** Every key that holds messages (not the id counter or the clock): what purge deletes. */
export function messageKeys(keys: QueueKeys): string[] {
  return [keys.legacy, keys.staging, keys.ready, keys.due, keys.inflight, keys.leases, keys.prefetched, keys.ages, keys.dead];
}

/**
 * The Redis Cluster slot of a key (CRC16/XMODEM of its hash tag, or of the whole key without
 * one, modulo 16384): which node a waiter's dedicated connection must talk to.
 */
export function clusterSlot(key: string): number {
  const open = key.indexOf('{');
  const close = open >= 0 ? key.indexOf('}', open + 1) : -1;
  const hashed = close > open + 1 ? key.slice(open + 1, close) : key;
  let crc = 0;
  for (const byte of Buffer.from(hashed)) {
    crc ^= byte << 8;
    for (let bit = 0; bit < 8; bit += 1) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
  }
  return crc % 16384;
}
