import { runConsumer, type MessageHandler } from '../../../lib/consumer/run-consumer';
import { runBatchConsumer, type BatchFailures } from '../../../lib/consumer/run-batch-consumer';
import { DEFAULT_RETRY_POLICY } from '../../../lib/consumer/retry-policy';
import { DropMessageError, InfrastructureError, PermanentError, RetryableError } from '../../../lib/errors';
import { createLogger } from '../../../lib/log';
import { MemoryDamagedStore } from '../../support/memory-damaged-store';
import { MemoryQueueBackend } from '../../support/memory-queue-backend';

const QUEUE = 'demo';
const NOW = new Date('2026-11-28T12:00:00Z');
const logger = createLogger({}, { level: 'silent' });

function setup() {
  const backend = new MemoryQueueBackend();
  const damagedStore = new MemoryDamagedStore();
  const run = (handler: MessageHandler, extra: Partial<Parameters<typeof runConsumer>[0]> = {}) =>
    runConsumer({ backend, queue: QUEUE, handler, damagedStore, retryPolicy: DEFAULT_RETRY_POLICY, logger, now: () => NOW, ...extra });
  return { backend, damagedStore, run };
}

const young = (n: number) => ({ n, source_enqueued_time: NOW.getTime() / 1000 - 60 });

describe('runConsumer', () => {
  it('should ack every message that succeeds, in order, and stop when the queue is empty', async () => {
    const { backend, run } = setup();
    await backend.pushBatch(QUEUE, [young(1), young(2), young(3)]);
    const seen: unknown[] = [];

    const counts = await run(async (body) => void seen.push(body.n));

    expect(seen).toEqual([1, 2, 3]);
    expect(counts).toEqual({ processed: 3, succeeded: 3, dropped: 0, damaged: 0, retryScheduled: 0, stoppedBecause: 'empty' });
    expect(backend.held(QUEUE)).toEqual([]);
  });

  it('should consume through the contract\'s consumeBatches, one lease per batch leased ahead with the acks of an earlier batch', async () => {
    const { backend, run } = setup();
    await backend.pushBatch(QUEUE, [young(1), young(2), young(3)]);

    await run(async () => undefined);

    expect(backend.calls.consumeBatches).toBe(1);
    // three messages, the lease ahead that found the queue empty, and the one that carried the last acks
    expect(backend.calls.lease).toBe(5);
    expect(backend.calls.ackBatch).toBe(3); // each batch's acks before a later lease (this backend cannot merge them)
    expect(backend.held(QUEUE)).toEqual([]);
  });

  it('should store a RetryableError in damaged with retry date now + delay while the message is young', async () => {
    const { backend, damagedStore, run } = setup();
    await backend.push(QUEUE, young(1));

    const counts = await run(async () => {
      throw new RetryableError('predecessor missing');
    });

    expect(counts).toMatchObject({ processed: 1, retryScheduled: 1, damaged: 0 });
    expect(damagedStore.rows).toHaveLength(1);
    expect(damagedStore.rows[0]).toMatchObject({ originalQueue: QUEUE, retryDate: new Date(NOW.getTime() + 1200_000), error: 'RetryableError: predecessor missing' });
    expect(backend.held(QUEUE)).toEqual([]);
  });

  it('should store an old RetryableError message without retry date', async () => {
    const { backend, damagedStore, run } = setup();
    await backend.push(QUEUE, { source_enqueued_time: NOW.getTime() / 1000 - 13000 });

    const counts = await run(async () => {
      throw new RetryableError('predecessor missing');
    });

    expect(counts).toMatchObject({ processed: 1, retryScheduled: 0, damaged: 1 });
    expect(damagedStore.rows[0]!.retryDate).toBeNull();
  });

  it('should ack a DropMessageError without storing it', async () => {
    const { backend, damagedStore, run } = setup();
    await backend.push(QUEUE, young(1));

    const counts = await run(async () => {
      throw new DropMessageError('duplicate');
    });

    expect(counts).toMatchObject({ processed: 1, dropped: 1, damaged: 0 });
    expect(damagedStore.rows).toHaveLength(0);
    expect(backend.held(QUEUE)).toEqual([]);
  });

  it('should store any other error without retry date, with error text and stack, and go on', async () => {
    const { backend, damagedStore, run } = setup();
    await backend.pushBatch(QUEUE, [young(1), young(2)]);

    const counts = await run(async (body) => {
      if (body.n === 1) throw new PermanentError('bad amount');
      throw new TypeError('cannot read x');
    });

    expect(counts).toMatchObject({ processed: 2, damaged: 2 });
    expect(damagedStore.rows.map((r) => [r.error, r.retryDate])).toEqual([
      ['PermanentError: bad amount', null],
      ['TypeError: cannot read x', null],
    ]);
    expect(damagedStore.rows[0]!.trace).toContain('run-consumer.test.ts');
  });

  it('should store a body that is not a JSON object verbatim without calling the handler', async () => {
    const { backend, damagedStore, run } = setup();
    backend.pushRaw(QUEUE, 'not json');
    backend.pushRaw(QUEUE, '[1,2]');
    const handler = jest.fn();

    const counts = await run(handler);

    expect(handler).not.toHaveBeenCalled();
    expect(counts).toMatchObject({ processed: 2, damaged: 2 });
    expect(damagedStore.rows.map((r) => r.message)).toEqual(['not json', '[1,2]']);
    expect(damagedStore.rows[0]!.error).toMatch(/^MalformedMessageError: body is not valid JSON/);
  });

  it('should release the message and reject when the handler reports an infrastructure failure', async () => {
    const { backend, damagedStore, run } = setup();
    await backend.pushBatch(QUEUE, [young(1), young(2), young(3)]);

    const result = run(async (body) => {
      if (body.n === 2) throw new InfrastructureError('database unreachable');
    });

    await expect(result).rejects.toThrow(InfrastructureError);
    expect(backend.held(QUEUE).map((b) => JSON.parse(b).n)).toEqual([2, 3]);
    expect(damagedStore.rows).toHaveLength(0);
  });

  it('should release the message and reject when the damaged store is unreachable', async () => {
    const { backend, damagedStore, run } = setup();
    await backend.push(QUEUE, young(1));
    damagedStore.unavailable = true;

    const result = run(async () => {
      throw new PermanentError('bad');
    });

    await expect(result).rejects.toBeInstanceOf(InfrastructureError);
    expect(backend.held(QUEUE).map((b) => JSON.parse(b).n)).toEqual([1]);
    expect((await backend.stats(QUEUE)).inFlight).toBe(0);
  });

  it('should stop at the message limit', async () => {
    const { backend, run } = setup();
    await backend.pushBatch(QUEUE, [1, 2, 3, 4, 5].map(young));
    const seen: unknown[] = [];

    const counts = await run(async (body) => void seen.push(body.n), { messageLimit: 3, timeLimitSeconds: 0 });

    expect(seen).toEqual([1, 2, 3]);
    expect(counts).toMatchObject({ processed: 3, stoppedBecause: 'message-limit' });
    expect(backend.held(QUEUE).map((b) => JSON.parse(b).n)).toEqual([4, 5]);
  });

  it('should reject a negative, fractional or non-numeric limit with a RangeError', async () => {
    const { run } = setup();
    await expect(run(async () => undefined, { messageLimit: Number.NaN })).rejects.toBeInstanceOf(RangeError);
    await expect(run(async () => undefined, { messageLimit: 2.5 })).rejects.toBeInstanceOf(RangeError);
    await expect(run(async () => undefined, { timeLimitSeconds: -1 })).rejects.toBeInstanceOf(RangeError);
  });

  it('should stop at the time limit', async () => {
    const { backend, run } = setup();
    await backend.pushBatch(QUEUE, Array.from({ length: 50 }, (_, i) => young(i)));

    const counts = await run(() => new Promise((resolve) => setTimeout(resolve, 20)), { timeLimitSeconds: 0.1 });

    expect(counts.stoppedBecause).toBe('time-limit');
    expect(counts.processed).toBeGreaterThan(0);
    expect(counts.processed).toBeLessThan(50);
    expect(backend.held(QUEUE)).toHaveLength(50 - counts.processed);
  });

  it('should wait for new messages when asked and a limit is set, waking on push without polling', async () => {
    const { backend, run } = setup();
    const seen: unknown[] = [];
    setTimeout(() => void backend.push(QUEUE, young(1)), 50);
    setTimeout(() => void backend.push(QUEUE, young(2)), 100);

    const started = Date.now();
    const counts = await run(async (body) => void seen.push(body.n), { wait: true, messageLimit: 2, timeLimitSeconds: 5 });

    expect(seen).toEqual([1, 2]);
    expect(counts.stoppedBecause).toBe('message-limit');
    expect(Date.now() - started).toBeLessThan(2000);
    expect(backend.calls.waitForMessage).toBeLessThanOrEqual(3);
    expect(backend.calls.lease).toBeLessThanOrEqual(5);
  });

  it('should stop waiting at the time limit', async () => {
    const { run } = setup();

    const counts = await run(async () => undefined, { wait: true, timeLimitSeconds: 0.15 });

    expect(counts).toMatchObject({ processed: 0, stoppedBecause: 'time-limit' });
  });

  it('should not wait when no limit is set, since the run would never end', async () => {
    const { backend, run } = setup();

    const counts = await run(async () => undefined, { wait: true });

    expect(counts.stoppedBecause).toBe('empty');
    expect(backend.calls.waitForMessage).toBeUndefined();
  });
});

describe('runBatchConsumer', () => {
  function runBatch(
    backend: MemoryQueueBackend,
    damagedStore: MemoryDamagedStore,
    handleBatch: Parameters<typeof runBatchConsumer>[0]['handleBatch'],
    batchSize = 3,
  ) {
    return runBatchConsumer({ backend, queue: QUEUE, batchSize, handleBatch, damagedStore, retryPolicy: DEFAULT_RETRY_POLICY, logger, now: () => NOW });
  }

  it('should hand parseable messages over in batches and settle each by its own outcome', async () => {
    const backend = new MemoryQueueBackend();
    const damagedStore = new MemoryDamagedStore();
    await backend.pushBatch(QUEUE, [young(1), young(2)]);
    backend.pushRaw(QUEUE, '{broken');
    await backend.pushBatch(QUEUE, [young(3), young(4)]);
    const batches: unknown[][] = [];

    const counts = await runBatch(backend, damagedStore, async (messages) => {
      batches.push(messages.map((m) => m.body.n));
      const failures: BatchFailures = new Map();
      for (const { body, delivery } of messages) {
        if (body.n === 2) failures.set(delivery.id, new RetryableError('later'));
        if (body.n === 4) failures.set(delivery.id, new DropMessageError('duplicate'));
      }
      return failures;
    });

    expect(batches).toEqual([[1, 2], [3, 4]]);
    expect(counts).toEqual({ processed: 5, succeeded: 2, dropped: 1, damaged: 1, retryScheduled: 1, stoppedBecause: 'empty' });
    expect(damagedStore.rows.map((r) => [r.message === '{broken' ? r.message : JSON.parse(r.message).n, r.retryDate !== null])).toEqual([
      [2, true],
      ['{broken', false],
    ]);
    expect(backend.held(QUEUE)).toEqual([]);
  });

  it('should prepare a batch leased ahead while the batch before is handled, and hand over the same bodies', async () => {
    // arrange
    const backend = new MemoryQueueBackend();
    const damagedStore = new MemoryDamagedStore();
    await backend.pushBatch(QUEUE, [1, 2, 3, 4, 5].map(young));
    backend.pushRaw(QUEUE, '{broken');
    const events: string[] = [];
    const prepared = new Set<object>();
    const handedPrepared: boolean[] = [];

    // act
    const counts = await runBatchConsumer({
      backend, queue: QUEUE, batchSize: 3, damagedStore, retryPolicy: DEFAULT_RETRY_POLICY, logger, now: () => NOW,
      prepareBatch: (messages) => {
        events.push(`prepare ${messages.map((m) => m.body.n).join(',')}`);
        for (const { body } of messages) prepared.add(body);
      },
      handleBatch: async (messages) => {
        events.push(`handle ${messages.map((m) => m.body.n).join(',')}`);
        handedPrepared.push(...messages.map((m) => prepared.has(m.body)));
        await new Promise((resolve) => setTimeout(resolve, 5));
        events.push('handled');
      },
    });

    // assert: the second batch (its broken body left out) is prepared before the first is handled
    expect(events).toEqual(['handle 1,2,3', 'prepare 4,5', 'handled', 'handle 4,5', 'handled']);
    expect(handedPrepared).toEqual([false, false, false, true, true]);
    expect(counts).toMatchObject({ processed: 6, succeeded: 5, damaged: 1 });
  });

  it('should release the whole batch and reject when the batch handler throws an InfrastructureError', async () => {
    const backend = new MemoryQueueBackend();
    const damagedStore = new MemoryDamagedStore();
    await backend.pushBatch(QUEUE, [young(1), young(2), young(3)]);

    await expect(
      runBatch(backend, damagedStore, async () => {
        throw new InfrastructureError('transaction failed: connection lost');
      }),
    ).rejects.toBeInstanceOf(InfrastructureError);

    expect(backend.held(QUEUE).map((b) => JSON.parse(b).n).sort()).toEqual([1, 2, 3]);
    expect((await backend.stats(QUEUE)).inFlight).toBe(0);
  });
});
