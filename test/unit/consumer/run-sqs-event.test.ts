import { DamagedStoreUnavailableError, type DamagedEntry, type DamagedStore } from '../../../lib/consumer/damaged-store';
import { DEFAULT_RETRY_POLICY } from '../../../lib/consumer/retry-policy';
import type { BatchFailures, BatchMessage } from '../../../lib/consumer/run-batch-consumer';
import { runSqsEventBatch, runSqsEventPerMessage } from '../../../lib/consumer/run-sqs-event';
import { DropMessageError, InfrastructureError, PermanentError, RetryableError } from '../../../lib/errors';
import { createLogger } from '../../../lib/log';
import type { SqsEvent, SqsEventRecord } from '../../../lib/queue/sqs/lambda-event';

const STANDARD_ARN = 'arn:aws:sqs:us-east-1:123456789012:dev-pending';
const FIFO_ARN = 'arn:aws:sqs:us-east-1:123456789012:dev-pending.fifo';
const NOW = new Date('2026-11-28T00:00:00Z');
const silent = createLogger({}, { level: 'silent' });

function record(id: string, body: string, arn = STANDARD_ARN, group?: string): SqsEventRecord {
  return {
    messageId: id,
    receiptHandle: `handle-${id}`,
    body,
    attributes: { ApproximateReceiveCount: '2', SentTimestamp: String(NOW.getTime() - 1000), ...(group ? { MessageGroupId: group } : {}) },
    eventSource: 'aws:sqs',
    eventSourceARN: arn,
    awsRegion: 'us-east-1',
  };
}

function event(...records: SqsEventRecord[]): SqsEvent {
  return { Records: records };
}

/** Two keys of a partitioned queue interleaved in one FIFO batch, as Lambda may hand it: A1 B1 A2 B2 A3. */
function twoKeyFifoBatch(): SqsEvent {
  return event(
    record('a1', '{"order_id":"A","n":1}', FIFO_ARN, 'A'),
    record('b1', '{"order_id":"B","n":1}', FIFO_ARN, 'B'),
    record('a2', '{"order_id":"A","n":2}', FIFO_ARN, 'A'),
    record('b2', '{"order_id":"B","n":2}', FIFO_ARN, 'B'),
    record('a3', '{"order_id":"A","n":3}', FIFO_ARN, 'A'),
  );
}

/** A damaged store that keeps entries in memory, or fails like an unreachable database. */
function memoryStore(options: { down?: boolean } = {}): DamagedStore & { entries: DamagedEntry[] } {
  const entries: DamagedEntry[] = [];
  return {
    entries,
    async insert(entry) {
      if (options.down) throw new DamagedStoreUnavailableError('database unreachable');
      entries.push(entry);
    },
    async listDueForRetry() {
      return [];
    },
    async clearRetryDate() {},
    async reachable() {
      return !options.down;
    },
    async deleteByIds() {
      return 0;
    },
  };
}

const options = (damagedStore: DamagedStore) => ({ damagedStore, retryPolicy: DEFAULT_RETRY_POLICY, logger: silent, now: () => NOW });

describe('runSqsEventPerMessage', () => {
  it('should report no failures when every message succeeds, and hand each parsed body and delivery to the handler', async () => {
    const seen: string[] = [];
    const store = memoryStore();

    const response = await runSqsEventPerMessage(
      event(record('a', '{"order_id":"1"}'), record('b', '{"order_id":"2"}')),
      async (body, delivery) => {
        seen.push(`${delivery.id}:${String(body.order_id)}:${delivery.receiveCount}:${delivery.queue}`);
      },
      options(store),
    );

    expect(response).toEqual({ batchItemFailures: [] });
    expect(seen).toEqual(['a:1:2:dev-pending', 'b:2:2:dev-pending']);
    expect(store.entries).toHaveLength(0);
  });

  it('should report exactly the messages that hit an infrastructure failure', async () => {
    const ids = Array.from({ length: 10 }, (_, i) => `m${i}`);
    const failing = new Set(['m1', 'm4', 'm8']);

    const response = await runSqsEventPerMessage(
      event(...ids.map((id) => record(id, JSON.stringify({ id })))),
      async (body) => {
        if (failing.has(String(body.id))) throw new InfrastructureError('backend down');
      },
      options(memoryStore()),
    );

    expect(response.batchItemFailures).toEqual([{ itemIdentifier: 'm1' }, { itemIdentifier: 'm4' }, { itemIdentifier: 'm8' }]);
  });

  it('should store message errors in damaged and not report them, so that SQS deletes them', async () => {
    const store = memoryStore();
    const errors: Record<string, Error> = {
      retry: new RetryableError('predecessor missing'),
      permanent: new PermanentError('bad gateway name'),
      other: new TypeError('bug'),
      drop: new DropMessageError('duplicate'),
    };

    const response = await runSqsEventPerMessage(
      event(...Object.keys(errors).map((kind) => record(kind, JSON.stringify({ kind, date: NOW.getTime() / 1000 })))),
      async (body) => {
        throw errors[String(body.kind)];
      },
      { ...options(store), queue: 'pending' },
    );

    expect(response.batchItemFailures).toEqual([]);
    expect(store.entries.map((e) => [e.queue, (e.error as Error).name, e.retryDate ? 'retry' : 'none'])).toEqual([
      ['pending', 'RetryableError', 'retry'],
      ['pending', 'PermanentError', 'none'],
      ['pending', 'TypeError', 'none'],
    ]);
  });

  it('should store a body that is not JSON in damaged verbatim without calling the handler', async () => {
    const store = memoryStore();
    const handler = jest.fn(async () => {});

    const response = await runSqsEventPerMessage(event(record('bad', '{not json')), handler, options(store));

    expect(response.batchItemFailures).toEqual([]);
    expect(handler).not.toHaveBeenCalled();
    expect(store.entries).toHaveLength(1);
    expect(store.entries[0]).toMatchObject({ body: '{not json', queue: 'dev-pending' });
    expect((store.entries[0]!.error as Error).name).toBe('MalformedMessageError');
  });

  it('should report a failed message when the damaged store is down, instead of losing it', async () => {
    const response = await runSqsEventPerMessage(
      event(record('x', '{"a":1}'), record('y', '{"a":2}')),
      async (body) => {
        if (body.a === 1) throw new PermanentError('bad');
      },
      options(memoryStore({ down: true })),
    );

    expect(response.batchItemFailures).toEqual([{ itemIdentifier: 'x' }]);
  });

  it('should fail every later record of a FIFO batch, unprocessed, after the first failure', async () => {
    const handled: string[] = [];

    const response = await runSqsEventPerMessage(
      event(record('f1', '{"n":1}', FIFO_ARN), record('f2', '{"n":2}', FIFO_ARN), record('f3', '{"n":3}', FIFO_ARN)),
      async (body, delivery) => {
        handled.push(delivery.id);
        if (body.n === 2) throw new InfrastructureError('down');
      },
      options(memoryStore()),
    );

    expect(handled).toEqual(['f1', 'f2']);
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: 'f2' }, { itemIdentifier: 'f3' }]);
  });

  it('should stop only the message group of a failed FIFO record; the other groups go on', async () => {
    // arrange
    const handled: string[] = [];
    const batch = twoKeyFifoBatch();

    // act
    const response = await runSqsEventPerMessage(
      batch,
      async (body, delivery) => {
        handled.push(delivery.id);
        if (delivery.id === 'a2') throw new InfrastructureError('down');
      },
      options(memoryStore()),
    );

    // assert
    expect(handled).toEqual(['a1', 'b1', 'a2', 'b2']);
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: 'a2' }, { itemIdentifier: 'a3' }]);
  });
});

describe('runSqsEventBatch', () => {
  it('should hand every parseable record to handleBatch in one call, in order, and report none when all succeed', async () => {
    const calls: string[][] = [];

    const response = await runSqsEventBatch(
      event(record('a', '{"order_id":"1"}'), record('b', '{"order_id":"2"}'), record('c', '{"order_id":"3"}')),
      async (messages) => {
        calls.push(messages.map(({ body, delivery }) => `${delivery.id}:${String(body.order_id)}:${delivery.receiveCount}:${delivery.queue}`));
      },
      options(memoryStore()),
    );

    expect(response).toEqual({ batchItemFailures: [] });
    expect(calls).toEqual([['a:1:2:dev-pending', 'b:2:2:dev-pending', 'c:3:2:dev-pending']]);
  });

  it('should settle a body that is not a JSON object as malformed without handing it to handleBatch', async () => {
    const store = memoryStore();
    const handed: string[] = [];

    const response = await runSqsEventBatch(
      event(record('ok', '{"n":1}'), record('text', '{not json'), record('array', '[1,2]')),
      async (messages) => {
        handed.push(...messages.map(({ delivery }) => delivery.id));
      },
      options(store),
    );

    expect(response.batchItemFailures).toEqual([]);
    expect(handed).toEqual(['ok']);
    expect(store.entries.map((e) => [e.body, (e.error as Error).name])).toEqual([
      ['{not json', 'MalformedMessageError'],
      ['[1,2]', 'MalformedMessageError'],
    ]);
  });

  it('should not call handleBatch when no record is parseable', async () => {
    const handleBatch = jest.fn(async () => {});

    await runSqsEventBatch(event(record('bad', 'nope')), handleBatch, options(memoryStore()));

    expect(handleBatch).not.toHaveBeenCalled();
  });

  it('should settle each record by the failure handleBatch reports for it and report only the infrastructure ones', async () => {
    const store = memoryStore();
    const outcomes: Record<string, Error> = {
      retry: new RetryableError('predecessor missing'),
      permanent: new PermanentError('bad gateway name'),
      drop: new DropMessageError('duplicate'),
      down: new InfrastructureError('database unreachable'),
    };

    const response = await runSqsEventBatch(
      event(...['fine', ...Object.keys(outcomes)].map((kind) => record(kind, JSON.stringify({ kind, date: NOW.getTime() / 1000 })))),
      async (messages: BatchMessage[]): Promise<BatchFailures> =>
        new Map(messages.filter(({ delivery }) => outcomes[delivery.id]).map(({ delivery }) => [delivery.id, outcomes[delivery.id]])),
      { ...options(store), queue: 'pending' },
    );

    expect(response.batchItemFailures).toEqual([{ itemIdentifier: 'down' }]);
    expect(store.entries.map((e) => [e.queue, (e.error as Error).name, e.retryDate ? 'retry' : 'none'])).toEqual([
      ['pending', 'RetryableError', 'retry'],
      ['pending', 'PermanentError', 'none'],
    ]);
  });

  it('should apply what handleBatch throws to every record it was handed', async () => {
    const store = memoryStore();

    const response = await runSqsEventBatch(
      event(record('a', '{"n":1}'), record('malformed', 'not json'), record('b', '{"n":2}')),
      async () => {
        throw new InfrastructureError('database unreachable');
      },
      options(store),
    );

    expect(response.batchItemFailures).toEqual([{ itemIdentifier: 'a' }, { itemIdentifier: 'b' }]);
    expect(store.entries.map((e) => e.body)).toEqual(['not json']);
  });

  it('should report a record whose damaged insert fails, instead of losing it', async () => {
    const response = await runSqsEventBatch(
      event(record('x', '{"a":1}'), record('y', '{"a":2}')),
      async () => new Map([['x', new PermanentError('bad')]]),
      options(memoryStore({ down: true })),
    );

    expect(response.batchItemFailures).toEqual([{ itemIdentifier: 'x' }]);
  });

  it('should report a failed FIFO record and every later one, settling none of the later ones', async () => {
    const store = memoryStore();

    const response = await runSqsEventBatch(
      event(record('f1', '{"n":1}', FIFO_ARN), record('f2', '{"n":2}', FIFO_ARN), record('f3', '{"n":3}', FIFO_ARN), record('f4', '{"n":4}', FIFO_ARN)),
      async () =>
        new Map<string, unknown>([
          ['f2', new InfrastructureError('down')],
          ['f3', new PermanentError('bad')],
        ]),
      options(store),
    );

    expect(response.batchItemFailures).toEqual([{ itemIdentifier: 'f2' }, { itemIdentifier: 'f3' }, { itemIdentifier: 'f4' }]);
    expect(store.entries).toEqual([]);
  });

  it('should report a failed FIFO record and the later ones of its group only, settling the other groups', async () => {
    // arrange
    const store = memoryStore();
    const batch = twoKeyFifoBatch();

    // act
    const response = await runSqsEventBatch(
      batch,
      async () =>
        new Map<string, unknown>([
          ['a1', new InfrastructureError('down')],
          ['b2', new PermanentError('bad')],
          ['a3', new PermanentError('bad')],
        ]),
      options(store),
    );

    // assert: group A waits from a1 on (a3 not settled), group B's bad b2 is settled into damaged
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: 'a1' }, { itemIdentifier: 'a2' }, { itemIdentifier: 'a3' }]);
    expect(store.entries.map((entry) => (JSON.parse(entry.body) as { n: number }).n)).toEqual([2]);
  });
});
