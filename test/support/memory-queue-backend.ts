/**
 * An in-memory QueueBackend for unit tests of the consumer runner only: FIFO, leases with
 * receipts, piggybacked acks, release to its place, dead letters, and a waitForMessage that
 * wakes on push. Not a model of the Redis backend's timing (no lease expiry).
 */
import { randomUUID } from 'node:crypto';
import { StaleReceiptError } from '../../lib/queue/errors';
import { consumeBatchesWith, popAtomicBatchWith, type BatchOperations } from '../../lib/queue/pop-atomic-batch';
import type {
  QueueCapabilities,
  BatchLoopOutcome,
  BatchOutcome,
  ConsumeBatchesOptions,
  ConsumeBatchesResult,
  DeadLetter,
  Delivery,
  LeaseOptions,
  MessageBody,
  PopBatchResult,
  PopResult,
  QueueBackend,
  QueueStats,
} from '../../lib/queue/types';

interface Stored {
  /** Push order: a released message goes back to its place by it. */
  seq: number;
  id: string;
  body: string;
  receiveCount: number;
  enqueuedAt: number;
}

interface Queue {
  ready: Stored[];
  inFlight: Map<string, Stored>;
  dead: DeadLetter[];
  waiters: Set<() => void>;
}

export class MemoryQueueBackend implements QueueBackend {
  readonly capabilities: QueueCapabilities = { orderedRedelivery: true, reportsOldestAge: true, peek: true, delayedReleaseCountsAsDelayed: true, messageGroups: false, idempotentPush: false, leaseAheadUncounted: true };
  private readonly queues = new Map<string, Queue>();
  private seq = 0;
  /** Every call by verb, so tests can count round trips. */
  readonly calls: Record<string, number> = {};

  private q(name: string): Queue {
    let queue = this.queues.get(name);
    if (!queue) {
      queue = { ready: [], inFlight: new Map(), dead: [], waiters: new Set() };
      this.queues.set(name, queue);
    }
    return queue;
  }

  private count(verb: string): void {
    this.calls[verb] = (this.calls[verb] ?? 0) + 1;
  }

  /** Appends a raw body as a legacy producer would (no JSON check, no source fields). */
  pushRaw(queue: string, body: string): void {
    const q = this.q(queue);
    q.ready.push({ seq: this.seq++, id: randomUUID(), body, receiveCount: 0, enqueuedAt: Date.now() });
    this.wake(q);
  }

  /** Puts a message straight into the dead-letter list. */
  addDeadLetter(queue: string, body: string, receiveCount: number): void {
    this.q(queue).dead.push({ id: randomUUID(), body, receiveCount, enqueuedAt: Date.now() });
  }

  /** Raw bodies still held (ready and in flight), in queue order. */
  held(queue: string): string[] {
    const q = this.q(queue);
    return [...q.inFlight.values(), ...q.ready].map((m) => m.body);
  }

  private wake(q: Queue): void {
    for (const wake of q.waiters) wake();
    q.waiters.clear();
  }

  async push(queue: string, message: MessageBody): Promise<void> {
    this.count('push');
    this.pushRaw(queue, JSON.stringify({ source_enqueued_time: Math.floor(Date.now() / 1000), ...message }));
  }

  async pushBatch(queue: string, messages: MessageBody[]): Promise<void> {
    for (const message of messages) await this.push(queue, message);
  }

  async lease(queue: string, options: LeaseOptions = {}): Promise<Delivery[]> {
    this.count('lease');
    const q = this.q(queue);
    for (const receipt of options.ack ?? []) q.inFlight.delete(receipt);
    const out: Delivery[] = [];
    while (out.length < (options.max ?? 1) && q.ready.length > 0) {
      const message = q.ready.shift()!;
      message.receiveCount += 1;
      const receipt = randomUUID();
      q.inFlight.set(receipt, message);
      out.push({ id: message.id, body: message.body, receipt, receiveCount: message.receiveCount, enqueuedAt: message.enqueuedAt, queue });
    }
    return out;
  }

  async ack(queue: string, receipt: string): Promise<void> {
    this.count('ack');
    if (!this.q(queue).inFlight.delete(receipt)) throw new StaleReceiptError('stale receipt');
  }

  async ackBatch(queue: string, receipts: string[]): Promise<string[]> {
    this.count('ackBatch');
    const q = this.q(queue);
    return receipts.filter((receipt) => !q.inFlight.delete(receipt));
  }

  async release(queue: string, receipt: string): Promise<void> {
    this.count('release');
    const q = this.q(queue);
    const message = q.inFlight.get(receipt);
    if (!message) throw new StaleReceiptError('stale receipt');
    q.inFlight.delete(receipt);
    const place = q.ready.findIndex((waiting) => waiting.seq > message.seq);
    q.ready.splice(place < 0 ? q.ready.length : place, 0, message);
    this.wake(q);
  }

  async extend(): Promise<void> {
    this.count('extend');
  }

  waitForMessage(queue: string, timeoutMs: number): Promise<boolean> {
    this.count('waitForMessage');
    const q = this.q(queue);
    if (q.ready.length > 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        resolve(true);
      };
      const timer = setTimeout(() => {
        q.waiters.delete(wake);
        resolve(false);
      }, timeoutMs);
      q.waiters.add(wake);
    });
  }

  async popAtomic<T>(queue: string, callback: (body: MessageBody, delivery: Delivery) => Promise<T>): Promise<PopResult<T>> {
    const [delivery] = await this.lease(queue);
    if (!delivery) return { status: 'empty' };
    try {
      const value = await callback(JSON.parse(delivery.body) as MessageBody, delivery);
      await this.ack(queue, delivery.receipt);
      return { status: 'done', value, delivery };
    } catch (error) {
      await this.release(queue, delivery.receipt);
      throw error;
    }
  }

  async popAtomicBatch(queue: string, max: number, callback: (deliveries: Delivery[]) => Promise<BatchOutcome>): Promise<PopBatchResult> {
    this.count('popAtomicBatch');
    const { stale: _stale, ...result } = await popAtomicBatchWith(this.batchOperations(queue), max, callback);
    return result;
  }

  async consumeBatches(
    queue: string,
    next: (inFlight: number) => number,
    callback: (deliveries: Delivery[]) => Promise<BatchLoopOutcome>,
    options?: ConsumeBatchesOptions,
  ): Promise<ConsumeBatchesResult> {
    this.count('consumeBatches');
    const { stale: _stale, ...result } = await consumeBatchesWith(this.batchOperations(queue), next, callback, options);
    return result;
  }

  private batchOperations(queue: string): BatchOperations {
    return {
      leaseAfterAcks: async (max, acks) => ({ stale: acks.length > 0 ? await this.ackBatch(queue, acks) : [], deliveries: await this.lease(queue, { max }) }),
      ackBatch: (receipts) => this.ackBatch(queue, receipts),
      releaseQuietly: async (deliveries) => {
        for (const delivery of deliveries) await this.release(queue, delivery.receipt);
      },
      releaseUnhandled: (deliveries) => this.releaseUnhandled(queue, deliveries.map((delivery) => delivery.receipt)),
    };
  }

  async releaseUnhandled(queue: string, receipts: string[]): Promise<void> {
    for (const receipt of receipts) {
      const message = this.q(queue).inFlight.get(receipt);
      if (!message) continue;
      message.receiveCount -= 1;
      await this.release(queue, receipt);
    }
  }


  async peek(queue: string, count = 1): Promise<string[]> {
    return this.q(queue).ready.slice(0, count).map((m) => m.body);
  }

  async stats(queue: string): Promise<QueueStats> {
    const q = this.q(queue);
    return { ready: q.ready.length, inFlight: q.inFlight.size, delayed: 0, dead: q.dead.length, oldestAgeSeconds: null };
  }

  async readDeadLetters(queue: string, max: number): Promise<DeadLetter[]> {
    this.count('readDeadLetters');
    return this.q(queue).dead.slice(0, max);
  }

  async deleteDeadLetters(queue: string, ids: string[]): Promise<number> {
    this.count('deleteDeadLetters');
    const q = this.q(queue);
    const before = q.dead.length;
    q.dead = q.dead.filter((letter) => !ids.includes(letter.id));
    return before - q.dead.length;
  }

  async redriveDeadLetters(queue: string): Promise<number> {
    const q = this.q(queue);
    const moved = q.dead.splice(0);
    for (const letter of moved) q.ready.push({ ...letter, seq: this.seq++, receiveCount: 0 });
    return moved.length;
  }

  async purge(queue: string): Promise<void> {
    this.queues.delete(queue);
  }

  async close(): Promise<void> {}
}
