/**
 * The Redis queue while its server misbehaves under a running producer and consumer: the script
 * cache is flushed mid-flow (what a restart or failover does), and the server restarts, cleanly
 * or by crash, with persistence on. Calls during an outage may reject (with QueueUnavailableError,
 * never silently); once Redis is back they succeed again, and no message whose push resolved is
 * ever lost.
 */
import Redis from 'ioredis';
import { QueueUnavailableError } from '../../../lib/queue/errors';
import type { QueueBackend } from '../../../lib/queue/types';
import { startRedisServer, type PrivateRedisServer } from '../../../scripts/stack/redis-server';
import { redisQueueAt } from '../../support/redis-queue';

const VISIBILITY_SECONDS = 2;

/** A producer pushing `{ n }` one at a time and a popAtomic consumer, running until stopped. */
class Flow {
  static readonly running = new Set<Flow>();
  readonly acknowledged = new Set<number>();
  readonly rejected = new Set<number>();
  readonly consumed: number[] = [];
  readonly errors: unknown[] = [];
  /** Calls (push or pop) that succeeded since the last `mark()`. */
  successesSinceMark = 0;
  private producing = true;
  private consuming = true;
  private producer: Promise<void>;
  private consumer: Promise<void>;
  private next = 0;

  constructor(
    private readonly backend: QueueBackend,
    private readonly queue: string,
  ) {
    this.producer = this.produce();
    this.consumer = this.consume();
    Flow.running.add(this);
  }

  /** Stops both loops (after each test, also a failed one). */
  static async stopAll(): Promise<void> {
    for (const flow of Flow.running) {
      await flow.stopProducing();
      await flow.stopConsuming();
    }
    Flow.running.clear();
  }

  mark(): void {
    this.successesSinceMark = 0;
  }

  async stopProducing(): Promise<void> {
    this.producing = false;
    await this.producer;
  }

  async stopConsuming(): Promise<void> {
    this.consuming = false;
    await this.consumer;
  }

  private async produce(): Promise<void> {
    while (this.producing) {
      const n = this.next;
      this.next += 1;
      try {
        await this.backend.push(this.queue, { n });
        this.acknowledged.add(n);
        this.successesSinceMark += 1;
      } catch (error) {
        this.rejected.add(n);
        this.errors.push(error);
        await sleep(50);
      }
    }
  }

  private async consume(): Promise<void> {
    while (this.consuming) {
      try {
        const result = await this.backend.popAtomic(this.queue, async (body) => {
          this.consumed.push(Number(body.n));
        });
        this.successesSinceMark += 1;
        if (result.status === 'empty') await sleep(20);
      } catch (error) {
        this.errors.push(error);
        await sleep(50);
      }
    }
  }
}

describe('Redis queue across script flushes and server restarts', () => {
  let server: PrivateRedisServer;
  let admin: Redis;
  let backend: QueueBackend;

  beforeAll(async () => {
    server = await startRedisServer({ persistence: true });
    admin = new Redis(server.url, { maxRetriesPerRequest: null });
    // The library's own connection (fail-fast settings), as producers and consumers get it.
    backend = redisQueueAt(server.url, { visibilityTimeoutSeconds: VISIBILITY_SECONDS, maxReceiveCount: 100 });
  });

  afterEach(async () => {
    await Flow.stopAll();
  });

  afterAll(async () => {
    await backend?.close();
    admin?.disconnect();
    await server?.stop();
  });

  it('should keep every call succeeding when the script cache is flushed mid-flow, concurrent batches included', async () => {
    // arrange
    const queue = 'flush-flow';
    const flow = new Flow(backend, queue);
    await waitUntil(() => flow.consumed.length >= 100);

    // act: flush under the running flow, then flush again and fire batches and single calls at once
    await admin.script('FLUSH');
    await waitUntil(() => flow.consumed.length >= 200);
    await admin.script('FLUSH');
    const burst = await Promise.allSettled([
      backend.pushBatch(queue, Array.from({ length: 1200 }, (_, i) => ({ n: 1_000_000 + i }))), // several script calls
      backend.pushBatch(queue, Array.from({ length: 50 }, (_, i) => ({ n: 2_000_000 + i }))),
      ...Array.from({ length: 20 }, (_, i) => backend.push(queue, { n: 3_000_000 + i })),
      backend.stats(queue),
      backend.peek(queue, 5),
    ]);
    await flow.stopProducing();
    await waitUntilDrained(backend, queue);
    await flow.stopConsuming();

    // assert
    expect(burst.filter((r) => r.status === 'rejected')).toEqual([]);
    expect(flow.errors).toEqual([]);
    const expected = [
      ...flow.acknowledged,
      ...Array.from({ length: 1200 }, (_, i) => 1_000_000 + i),
      ...Array.from({ length: 50 }, (_, i) => 2_000_000 + i),
      ...Array.from({ length: 20 }, (_, i) => 3_000_000 + i),
    ];
    expect([...flow.consumed].sort(byNumber)).toEqual(expected.sort(byNumber)); // each exactly once: nothing failed
    expect(await backend.stats(queue)).toMatchObject({ ready: 0, inFlight: 0, delayed: 0, dead: 0 });
  }, 30_000);

  it.each([
    ['a clean restart (SHUTDOWN)', false],
    ['a crash (SIGKILL)', true],
  ])('should lose no acknowledged message across %s, and succeed again after reconnecting', async (_label, kill) => {
    // arrange
    const queue = kill ? 'crash-flow' : 'restart-flow';
    const flow = new Flow(backend, queue);
    await waitUntil(() => flow.consumed.length >= 200 && flow.acknowledged.size >= 300);

    // act: restart under the running flow, with Redis down for half a second
    await server.restart({ kill, downMs: 500 });
    flow.mark();
    await waitUntil(() => flow.successesSinceMark >= 200); // reconnected and flowing again
    const errorsBeforeSettled = flow.errors.length;
    flow.mark();
    await waitUntil(() => flow.successesSinceMark >= 200);
    const batchAfterRestart = Array.from({ length: 1200 }, (_, i) => ({ n: 1_000_000 + i }));
    await backend.pushBatch(queue, batchAfterRestart);
    await flow.stopProducing();
    await waitUntilDrained(backend, queue);
    await flow.stopConsuming();

    // assert: failures only while Redis was away, and typed
    expect(flow.errors.length).toBe(errorsBeforeSettled);
    expect(flow.errors.every((error) => error instanceof QueueUnavailableError)).toBe(true);
    // every push that resolved was consumed; nothing was consumed that was never pushed
    const consumed = new Set(flow.consumed);
    const lost = [...flow.acknowledged, ...batchAfterRestart.map((m) => m.n)].filter((n) => !consumed.has(n));
    expect(lost).toEqual([]);
    expect([...consumed].filter((n) => !flow.acknowledged.has(n) && !flow.rejected.has(n) && n < 1_000_000)).toEqual([]);
    expect(await backend.stats(queue)).toMatchObject({ ready: 0, inFlight: 0, delayed: 0, dead: 0 });
  }, 60_000);
});

/** Waits until nothing is ready, in flight or delayed (leases lost in an outage run out first). */
async function waitUntilDrained(backend: QueueBackend, queue: string): Promise<void> {
  await waitUntil(async () => {
    const stats = await backend.stats(queue).catch(() => undefined);
    return stats !== undefined && stats.ready + stats.inFlight + stats.delayed === 0;
  }, (VISIBILITY_SECONDS + 15) * 1000);
}

async function waitUntil(check: () => boolean | Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await sleep(20);
  }
}

function byNumber(a: number, b: number): number {
  return a - b;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
