import { randomBytes } from 'node:crypto';
import Redis from 'ioredis';
import { eq } from 'drizzle-orm';
import { createDamagedStore } from '../../../lib/consumer/damaged-store';
import { DEFAULT_RETRY_POLICY } from '../../../lib/consumer/retry-policy';
import { runConsumer, type MessageHandler } from '../../../lib/consumer/run-consumer';
import { openDatabase } from '../../../lib/db/client';
import { damaged } from '../../../lib/db/schema';
import { InfrastructureError, PermanentError, RetryableError } from '../../../lib/errors';
import { createLogger } from '../../../lib/log';
import { RedisQueueBackend } from '../../../lib/queue';
import { createTestDatabase, type TestDatabase } from '../../support/database';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const logger = createLogger({}, { level: 'silent' });

// Per-project testTimeout is ignored in multi-project runs; creating a database may take a while.
jest.setTimeout(30_000);

describe('runConsumer (Redis queue, MariaDB damaged store)', () => {
  let database: TestDatabase;
  let backend: RedisQueueBackend;
  let redis: Redis;
  const queues: string[] = [];

  const newQueue = () => {
    const queue = `itest-consumer-${randomBytes(4).toString('hex')}`;
    queues.push(queue);
    return queue;
  };
  const run = (queue: string, handler: MessageHandler, extra: Partial<Parameters<typeof runConsumer>[0]> = {}) =>
    runConsumer({ backend, queue, handler, damagedStore: createDamagedStore(database.db), retryPolicy: DEFAULT_RETRY_POLICY, logger, ...extra });
  const damagedRows = (queue: string) => database.db.select().from(damaged).where(eq(damaged.originalQueue, queue)).orderBy(damaged.id);

  beforeAll(async () => {
    database = await createTestDatabase();
    backend = new RedisQueueBackend({ url: REDIS_URL });
    redis = new Redis(REDIS_URL);
  });

  afterAll(async () => {
    for (const queue of queues) await backend.purge(queue);
    await backend.close();
    redis.disconnect();
    await database.drop();
  });

  it('should process exactly 3 of 5 messages, in order, when the message limit is the string "3"', async () => {
    const queue = newQueue();
    await backend.pushBatch(queue, [1, 2, 3, 4, 5].map((n) => ({ n })));
    const seen: unknown[] = [];

    const counts = await run(queue, async (body) => void seen.push(body.n), { messageLimit: 3 });

    expect(seen).toEqual([1, 2, 3]);
    expect(counts).toEqual({ processed: 3, succeeded: 3, dropped: 0, damaged: 0, retryScheduled: 0, stoppedBecause: 'message-limit' });
    expect(await backend.stats(queue)).toMatchObject({ ready: 2, inFlight: 0 });
  });

  it('should store every failing message in damaged and go on with the run', async () => {
    const queue = newQueue();
    await backend.pushBatch(queue, [1, 2, 3].map((n) => ({ n, gateway: 'adyen', order_id: `77.${n}` })));

    const counts = await run(queue, async (body) => {
      throw new PermanentError(`cannot handle ${String(body.n)}`);
    });

    expect(counts).toMatchObject({ processed: 3, damaged: 3, stoppedBecause: 'empty' });
    const rows = await damagedRows(queue);
    expect(rows.map((r) => [r.orderId, r.gateway, r.error, r.retryDate])).toEqual([
      ['77.1', 'adyen', 'PermanentError: cannot handle 1', null],
      ['77.2', 'adyen', 'PermanentError: cannot handle 2', null],
      ['77.3', 'adyen', 'PermanentError: cannot handle 3', null],
    ]);
    expect(rows[0]!.trace).toContain('run-consumer.test.ts');
    expect(await backend.stats(queue)).toMatchObject({ ready: 0, inFlight: 0 });
  });

  it('should store an undecodable body pushed by a legacy producer verbatim', async () => {
    const queue = newQueue();
    await redis.rpush(queue, 'not json');
    const handler = jest.fn();

    const counts = await run(queue, handler);

    expect(handler).not.toHaveBeenCalled();
    expect(counts).toMatchObject({ processed: 1, damaged: 1 });
    const [row] = await damagedRows(queue);
    expect(row).toMatchObject({ message: 'not json', retryDate: null });
    expect(row!.error).toMatch(/^MalformedMessageError: body is not valid JSON/);
  });

  it('should schedule a retry at now + delay for a young message and none for an old one', async () => {
    const queue = newQueue();
    const nowSeconds = Math.floor(Date.now() / 1000);
    await backend.push(queue, { n: 'young', source_enqueued_time: nowSeconds - 60 });
    await backend.push(queue, { n: 'old', source_enqueued_time: nowSeconds - 13_000 });

    const before = Date.now();
    const counts = await run(queue, async () => {
      throw new RetryableError('predecessor missing');
    });

    expect(counts).toMatchObject({ processed: 2, retryScheduled: 1, damaged: 1 });
    const [young, old] = await damagedRows(queue);
    const expected = before + DEFAULT_RETRY_POLICY.requeueDelaySeconds * 1000;
    expect(Math.abs(young!.retryDate!.getTime() - expected)).toBeLessThan(5000);
    expect(young!.originalDate).toEqual(new Date((nowSeconds - 60) * 1000));
    expect(old!.retryDate).toBeNull();
  });

  it('should wait for a message pushed after the queue ran empty when asked to wait', async () => {
    const queue = newQueue();
    const seen: unknown[] = [];
    const producer = setTimeout(() => void backend.push(queue, { n: 'late' }), 300);

    const started = Date.now();
    const counts = await run(queue, async (body) => void seen.push(body.n), { wait: true, messageLimit: 1, timeLimitSeconds: 10 });

    clearTimeout(producer);
    expect(seen).toEqual(['late']);
    expect(counts.stoppedBecause).toBe('message-limit');
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('should leave the message in the queue and reject when MariaDB is unreachable', async () => {
    const queue = newQueue();
    await backend.push(queue, { n: 1 });
    const unreachable = openDatabase('mysql://root@127.0.0.1:1/nowhere', { connectionLimit: 1 });

    try {
      const result = run(queue, async () => {
        throw new PermanentError('bad');
      }, { damagedStore: createDamagedStore(unreachable.db) });

      await expect(result).rejects.toBeInstanceOf(InfrastructureError);
      expect(await backend.stats(queue)).toMatchObject({ ready: 1, inFlight: 0 });
      expect(JSON.parse((await backend.peek(queue, 1))[0]!)).toMatchObject({ n: 1 });
    } finally {
      await unreachable.close();
    }
  });

  describe('with the receive limit the queues are declared with (maxReceiveCount 5)', () => {
    let limited: RedisQueueBackend;

    beforeAll(() => {
      limited = new RedisQueueBackend({ url: REDIS_URL, defaults: { maxReceiveCount: 5 } });
    });

    afterAll(async () => {
      await limited.close();
    });

    const runLimited = (queue: string, handler: MessageHandler, extra: Partial<Parameters<typeof runConsumer>[0]> = {}) =>
      run(queue, handler, { backend: limited, ...extra });

    it('should spend no delivery while the database is down, so that more runs than that dead-letter nothing', async () => {
      // arrange: the damaged store's database (and so the handler's) does not answer
      const queue = newQueue();
      await limited.pushBatch(queue, [{ n: 1 }, { n: 2 }]);
      const unreachable = openDatabase('mysql://root@127.0.0.1:1/nowhere', { connectionLimit: 1 });
      const seen: unknown[] = [];

      try {
        // act: eight failed runs, then one once the database is back
        for (let attempt = 0; attempt < 8; attempt++) {
          await expect(
            runLimited(queue, async () => {
              throw new InfrastructureError('database unreachable');
            }, { damagedStore: createDamagedStore(unreachable.db) }),
          ).rejects.toBeInstanceOf(InfrastructureError);
        }
        const during = await limited.stats(queue);
        const counts = await runLimited(queue, async (body, delivery) => void seen.push([body.n, delivery.receiveCount]));

        // assert
        expect(during).toMatchObject({ ready: 2, inFlight: 0, dead: 0 });
        expect(counts).toMatchObject({ processed: 2, succeeded: 2 });
        expect(seen).toEqual([
          [1, 1],
          [2, 1],
        ]);
      } finally {
        await unreachable.close();
      }
    });

    it('should spend a delivery per run when the database answers after the failure, dead-lettering the message in the end', async () => {
      // arrange: a message whose handling fails as a dropped connection would, while MariaDB answers
      const queue = newQueue();
      await limited.push(queue, { n: 'breaks the connection' });

      // act
      for (let attempt = 0; attempt < 5; attempt++) {
        await expect(
          runLimited(queue, async () => {
            throw new InfrastructureError('connection lost during the statement');
          }),
        ).rejects.toBeInstanceOf(InfrastructureError);
      }
      const counts = await runLimited(queue, async () => undefined);

      // assert
      expect(counts).toMatchObject({ processed: 0, stoppedBecause: 'empty' });
      expect(await limited.stats(queue)).toMatchObject({ ready: 0, inFlight: 0, dead: 1 });
    });
  });
});
