/**
 * Numbers the script calls of one backend instance, per queue, for the reply cache
 * (lua/includes/replies.lua). ioredis re-sends a command whose reply was lost with the
 * connection; with a call number the script recognises the second run and answers what the
 * first answered, so a push is stored once, a lease hands out its deliveries once and an ack
 * that took effect reports success. Every few calls carry the numbers of the calls whose replies
 * have arrived since, so that Redis keeps only a handful of replies beyond those still in doubt.
 */
import { randomBytes } from 'node:crypto';

/** Received replies gathered before the next call tells Redis to forget them. */
const RECEIVED_BATCH = 4;

interface QueueCalls {
  next: number;
  received: string[];
}

export class CallLedger {
  /** Unique per backend instance: call numbers of two instances never meet. */
  readonly session = randomBytes(9).toString('base64url');
  private readonly queues = new Map<string, QueueCalls>();

  /**
   * A new call number on `queue` and the received list to send with it (taken, not copied): sent
   * once RECEIVED_BATCH replies have come, so that most calls cost no HDEL; Redis keeps that many
   * small replies more per session meanwhile.
   */
  begin(queue: string): { call: string; done: string } {
    let calls = this.queues.get(queue);
    if (!calls) {
      calls = { next: 1, received: [] };
      this.queues.set(queue, calls);
    }
    const call = String(calls.next);
    calls.next += 1;
    if (calls.received.length < RECEIVED_BATCH) return { call, done: '' };
    const done = calls.received.join(',');
    calls.received = [];
    return { call, done };
  }

  /** The reply of `call` arrived: Redis may forget it with the next call. */
  received(queue: string, call: string): void {
    this.queues.get(queue)?.received.push(call);
  }
}
