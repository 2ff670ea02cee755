/**
 * What the SQS backend adds to the shared contract suite (sqs-contract.test.ts): how it uses
 * SQS's own mechanisms (redrive policy, receipt handles, counters), on the fauxqs emulator.
 */
import { randomBytes } from 'node:crypto';
import { GetQueueAttributesCommand, GetQueueUrlCommand, PurgeQueueCommand, PurgeQueueInProgress, type SQSClient } from '@aws-sdk/client-sqs';
import { MessageTooLargeError, QueueCapabilityError, QueueUnavailableError, QueueUsageError, StaleReceiptError } from '../../../lib/queue/errors';
import { queueConfig } from '../../../lib/queue/config';
import { withSourceFields, type SourceIdentity } from '../../../lib/queue/source-fields';
import { SqsQueueBackend } from '../../../lib/queue/sqs/sqs-backend';
import type { MessageBody } from '../../../lib/queue/types';
import { startTestSqs, type TestSqs } from '../../support/sqs';

// Per-project testTimeout does not apply when jest runs several projects at once; the emulator's start counts too.
jest.setTimeout(30_000);

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const identity: SourceIdentity = { sourceName: 'donation-form', sourceVersion: '1.0.0', sourceHost: 'web1', sourceRunId: 4242 };

/** What the backend sends for `message`: the body with its source fields, as SQS stores it. */
const storedBody = (message: MessageBody) => JSON.stringify(withSourceFields(message, identity));

/** A message whose stored body is exactly `bytes` long in UTF-8 (`filler` is one 1- or 2-byte character). */
function messageOfStoredSize(bytes: number, filler = 'x'): MessageBody {
  const overhead = Buffer.byteLength(storedBody({ blob: '' }));
  const each = Buffer.byteLength(filler);
  const message = { blob: filler.repeat(Math.floor((bytes - overhead) / each)) };
  if (Buffer.byteLength(storedBody(message)) !== bytes) throw new Error('pick a size that the filler divides');
  return message;
}

/**
 * The client with AWS's purge limit on top of the emulator, which purges every time: a second
 * PurgeQueue within `windowMs` of the last accepted one is refused with PurgeQueueInProgress and
 * deletes nothing (AWS: one purge per queue per 60 seconds).
 */
function withAwsPurgeLimit(client: SQSClient, windowMs: number): SQSClient {
  const accepted = new Map<string, number>();
  const send = client.send.bind(client) as (command: unknown) => Promise<unknown>;
  client.send = (async (command: unknown) => {
    if (command instanceof PurgeQueueCommand) {
      const url = command.input.QueueUrl!;
      const last = accepted.get(url);
      if (last !== undefined && Date.now() - last < windowMs) {
        throw new PurgeQueueInProgress({ message: 'Only one PurgeQueue operation on this queue is allowed every 60 seconds.', $metadata: { httpStatusCode: 403 } });
      }
      accepted.set(url, Date.now());
    }
    return send(command);
  }) as SQSClient['send'];
  return client;
}

describe('SqsQueueBackend on the SQS emulator', () => {
  let sqs: TestSqs;
  let backend: SqsQueueBackend;
  const fresh = () => `q${randomBytes(4).toString('hex')}`;

  beforeAll(async () => {
    sqs = await startTestSqs();
    backend = sqs.createBackend({ defaults: { visibilityTimeoutSeconds: 30, maxReceiveCount: 2 } });
  });
  afterAll(async () => {
    await backend?.close();
    await sqs?.stop();
  });

  it('should create a queue with a dead-letter queue and the redrive policy on first use', async () => {
    const queue = fresh();

    await backend.push(queue, { order_id: '1' });

    const client = sqs.createClient();
    try {
      const { QueueUrl } = await client.send(new GetQueueUrlCommand({ QueueName: `${sqs.queuePrefix}${queue}` }));
      const { Attributes } = await client.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['RedrivePolicy', 'VisibilityTimeout'] }));
      expect(JSON.parse(Attributes!.RedrivePolicy!)).toMatchObject({ maxReceiveCount: 2, deadLetterTargetArn: expect.stringMatching(new RegExp(`:${sqs.queuePrefix}${queue}-dlq$`)) });
      expect(Attributes!.VisibilityTimeout).toBe('30');
    } finally {
      client.destroy();
    }
  });

  it('should use the definitions for the project’s queues (created by the emulator’s start-up)', async () => {
    await backend.purge('pending');
    await backend.push('pending', { order_id: '7' }, { sourceType: 'payments' });

    const [delivery] = await backend.lease('pending');

    expect(JSON.parse(delivery!.body)).toMatchObject({ order_id: '7', source_type: 'payments', source_enqueued_time: expect.any(Number) });
    await backend.ack('pending', delivery!.receipt);
    expect((await backend.stats('pending')).inFlight).toBe(0);
  });

  it('should reject an ack whose lease ran out and was delivered again, and keep the message', async () => {
    const queue = fresh();
    await backend.push(queue, { n: 1 });
    const [first] = await backend.lease(queue, { visibilityTimeoutSeconds: 1 });
    await sleep(1100);
    const [second] = await backend.lease(queue);

    await expect(backend.ack(queue, first!.receipt)).rejects.toBeInstanceOf(StaleReceiptError);
    await expect(backend.extend(queue, first!.receipt, 10)).rejects.toBeInstanceOf(StaleReceiptError);

    expect(second!.id).toBe(first!.id);
    expect(second!.receiveCount).toBe(2);
    expect(await backend.ackBatch(queue, [first!.receipt, second!.receipt])).toEqual([first!.receipt]);
    expect(await backend.stats(queue)).toMatchObject({ ready: 0, inFlight: 0, dead: 0 });
  });

  it('should move a message to the dead-letter queue after maxReceiveCount deliveries, and redrive it', async () => {
    const queue = fresh();
    await backend.push(queue, { poison: true });
    for (let i = 0; i < 2; i += 1) {
      const [delivery] = await backend.lease(queue);
      await backend.release(queue, delivery!.receipt);
    }

    expect(await backend.lease(queue)).toEqual([]);
    expect(await backend.stats(queue)).toMatchObject({ ready: 0, inFlight: 0, dead: 1 });
    const [dead] = await backend.readDeadLetters(queue, 10);
    expect(JSON.parse(dead!.body)).toMatchObject({ poison: true });
    expect(dead!.receiveCount).toBe(2);
    expect(await backend.readDeadLetters(queue, 10)).toHaveLength(1);

    expect(await backend.redriveDeadLetters(queue, { max: 5, perSecond: 100 })).toBe(1);
    const [again] = await backend.lease(queue);
    expect(again!.body).toBe(dead!.body);
    expect(again!.enqueuedAt).toBe(dead!.enqueuedAt);
  });

  it('should delete dead letters by id only', async () => {
    const queue = fresh();
    await backend.pushBatch(queue, [{ n: 1 }, { n: 2 }, { n: 3 }]);
    for (let round = 0; round < 3; round += 1) {
      const deliveries = await backend.lease(queue, { max: 10 });
      for (const d of deliveries) await backend.release(queue, d.receipt);
    }
    const dead = await backend.readDeadLetters(queue, 10);
    expect(dead).toHaveLength(3);

    const deleted = await backend.deleteDeadLetters(queue, [dead[0]!.id, dead[2]!.id, 'unknown-id']);

    expect(deleted).toBe(2);
    const left = await backend.readDeadLetters(queue, 10);
    expect(left.map((d) => d.id)).toEqual([dead[1]!.id]);
  });

  it('should resolve waitForMessage when a message arrives, without delivering it', async () => {
    const queue = fresh();
    await backend.stats(queue);
    const waiting = backend.waitForMessage(queue, 5000);
    setTimeout(() => void backend.push(queue, { n: 1 }), 200);

    expect(await waiting).toBe(true);
    const [delivery] = await backend.lease(queue);
    expect(delivery!.receiveCount).toBe(1);
    expect(await backend.waitForMessage(fresh(), 100)).toBe(false);
  });

  it('should refuse a per-message delay on a FIFO queue, and keep strict order there', async () => {
    const fifo = sqs.createBackend({ defaultFifo: true });
    try {
      const queue = fresh();
      await expect(fifo.push(queue, { n: 0 }, { delaySeconds: 5 })).rejects.toBeInstanceOf(QueueUsageError);
      await fifo.pushBatch(queue, [{ n: 1 }, { n: 2 }]);
      const [first] = await fifo.lease(queue);
      await fifo.release(queue, first!.receipt);
      const order: number[] = [];
      for (let i = 0; i < 2; i += 1) {
        const result = await fifo.popAtomic(queue, async (body) => body.n as number);
        if (result.status === 'done') order.push(result.value);
      }
      expect(order).toEqual([1, 2]);
    } finally {
      await fifo.close();
    }
  });

  it('should not let a lease/wait loop spin while a FIFO group is locked by another consumer', async () => {
    const fifo = sqs.createBackend({ defaultFifo: true });
    try {
      const queue = fresh();
      await fifo.pushBatch(queue, [{ n: 1 }, { n: 2 }]);
      await fifo.lease(queue);
      const started = Date.now();
      let rounds = 0;

      while (Date.now() - started < 500) {
        expect(await fifo.lease(queue)).toEqual([]);
        expect(await fifo.waitForMessage(queue, 1000)).toBe(true);
        rounds += 1;
      }

      // waitPollMs is 50 in tests: about 10 rounds, not hundreds.
      expect(rounds).toBeLessThanOrEqual(12);
    } finally {
      await fifo.close();
    }
  });

  it('should stamp source_enqueued_time from SQS’s clock, whatever the producer’s clock says', async () => {
    const queue = fresh();
    const realNow = Date.now.bind(Date);
    const realSeconds = Math.floor(realNow() / 1000);
    const skewed = jest.spyOn(Date, 'now').mockImplementation(() => realNow() + 10 * 60 * 1000);
    try {
      await backend.push(queue, { n: 1 });
    } finally {
      skewed.mockRestore();
    }

    const [delivery] = await backend.lease(queue);

    expect(Math.abs(JSON.parse(delivery!.body).source_enqueued_time - realSeconds)).toBeLessThanOrEqual(5);
    expect(delivery!.body.endsWith(`"source_enqueued_time":${Math.floor(delivery!.enqueuedAt / 1000)}}`)).toBe(true);
  });

  it('should declare what SQS cannot do: ordered redelivery, the oldest age, peek, and delayed releases counted as delayed', () => {
    expect(backend.capabilities).toEqual({ orderedRedelivery: false, reportsOldestAge: false, peek: false, delayedReleaseCountsAsDelayed: false, messageGroups: true, idempotentPush: false, leaseAheadUncounted: false });
  });

  it('should not declare ordered redelivery for FIFO by default while the project’s own queues are standard queues', async () => {
    const fifo = sqs.createBackend({ defaultFifo: true });
    try {
      expect(fifo.capabilities.orderedRedelivery).toBe(false);
    } finally {
      await fifo.close();
    }
  });

  it('should reject peek with QueueCapabilityError, without receiving the message', async () => {
    const queue = fresh();
    await backend.push(queue, { n: 1 });

    const peeked = backend.peek(queue, 1);

    await expect(peeked).rejects.toBeInstanceOf(QueueCapabilityError);
    await expect(peeked).rejects.toThrow(/cannot read a message without receiving it/);
    const [delivery] = await backend.lease(queue);
    expect(delivery!.receiveCount).toBe(1);
  });

  it('should count a message released with a delay as in flight until it is due', async () => {
    const queue = fresh();
    await backend.push(queue, { n: 1 });
    const [delivery] = await backend.lease(queue);

    await backend.release(queue, delivery!.receipt, 1);

    expect(await backend.stats(queue)).toMatchObject({ ready: 0, inFlight: 1, delayed: 0 });
    await sleep(1100);
    const [again] = await backend.lease(queue);
    expect(again).toMatchObject({ id: delivery!.id, receiveCount: 2 });
  });

  it('should stamp source_enqueued_time on a pushed message whose field is null or blank, as on an absent one', async () => {
    const queue = fresh();
    await backend.push(queue, { n: 1, source_enqueued_time: null });
    await backend.pushBatch(queue, [{ n: 2, source_enqueued_time: '' }, { n: 3, source_enqueued_time: null }]);

    const deliveries = await backend.lease(queue, { max: 10 });

    expect(deliveries).toHaveLength(3);
    for (const delivery of deliveries) {
      expect(JSON.parse(delivery.body).source_enqueued_time).toBe(Math.floor(delivery.enqueuedAt / 1000));
      expect(delivery.body.match(/source_enqueued_time/g)).toHaveLength(1);
    }
  });

  it('should keep a source_enqueued_time the pushed message carries', async () => {
    const queue = fresh();
    await backend.push(queue, { n: 1, source_enqueued_time: 1700000000 });

    const [delivery] = await backend.lease(queue);

    expect(JSON.parse(delivery!.body).source_enqueued_time).toBe(1700000000);
  });

  describe('maximum message size', () => {
    it('should take a message whose stored body is exactly QUEUE_MAX_MESSAGE_BYTES and refuse one a byte bigger', async () => {
      const limited = sqs.createBackend({ identity });
      const queue = fresh();
      const limit = queueConfig().QUEUE_MAX_MESSAGE_BYTES;
      try {
        await limited.push(queue, messageOfStoredSize(limit));
        const refused = limited.push(queue, messageOfStoredSize(limit + 1));

        await expect(refused).rejects.toBeInstanceOf(MessageTooLargeError);
        await expect(refused).rejects.toMatchObject({ queue, bytes: limit + 1, maxBytes: limit });
        expect(await limited.stats(queue)).toMatchObject({ ready: 1 });
      } finally {
        await limited.close();
      }
    });

    it('should count UTF-8 bytes, not characters', async () => {
      const limited = sqs.createBackend({ identity, defaults: { maxMessageBytes: 4096 } });
      const queue = fresh();
      try {
        const twoByteCharacters = messageOfStoredSize(4096 + 1, 'é');
        expect(storedBody(twoByteCharacters).length).toBeLessThan(4096);

        await expect(limited.push(queue, twoByteCharacters)).rejects.toBeInstanceOf(MessageTooLargeError);
      } finally {
        await limited.close();
      }
    });

    it('should store none of a pushBatch that holds one message over the queue’s own limit', async () => {
      const queue = fresh();
      const limited = sqs.createBackend({ identity, defaults: { maxMessageBytes: 8192 }, queues: { [queue]: { maxMessageBytes: 2048 } } });
      try {
        const batch = [{ n: 1 }, messageOfStoredSize(2048 + 1), { n: 3 }, ...Array.from({ length: 10 }, (_, n) => ({ n: n + 4 }))];

        await expect(limited.pushBatch(queue, batch)).rejects.toBeInstanceOf(MessageTooLargeError);

        expect(await limited.stats(queue)).toMatchObject({ ready: 0, inFlight: 0, delayed: 0 });
        await limited.pushBatch(queue, [messageOfStoredSize(2048), { n: 2 }]);
        expect(await limited.stats(queue)).toMatchObject({ ready: 2 });
      } finally {
        await limited.close();
      }
    });

    it('should name sizes and the queue in the error, never the body', async () => {
      const limited = sqs.createBackend({ identity, defaults: { maxMessageBytes: 1024 } });
      const queue = fresh();
      try {
        const secret = { email: 'donor@example.org', blob: 'y'.repeat(2000) };

        const error = (await limited.push(queue, secret).catch((e: unknown) => e)) as Error;

        expect(error).toBeInstanceOf(MessageTooLargeError);
        expect(error.message).toContain(queue);
        expect(error.message).not.toContain('donor@example.org');
      } finally {
        await limited.close();
      }
    });
  });

  describe('purge while an earlier purge is in progress', () => {
    it('should still delete what is ready and what is dead in the queue and its dead-letter queue', async () => {
      const queue = fresh();
      const limited = sqs.createBackend({ client: withAwsPurgeLimit(sqs.createClient(), 60_000), defaults: { maxReceiveCount: 1 } });
      try {
        await limited.pushBatch(queue, [{ n: 1 }]);
        await limited.purge(queue);
        await limited.pushBatch(queue, [{ n: 2 }, { n: 3 }, { n: 4 }]);
        const [dying] = await limited.lease(queue);
        await limited.release(queue, dying!.receipt);
        await limited.lease(queue, { max: 10 }).then((held) => Promise.all(held.map((d) => limited.release(queue, d.receipt))));
        await limited.lease(queue, { max: 10 });
        expect((await limited.stats(queue)).dead).toBeGreaterThan(0);

        await limited.purge(queue);

        expect(await limited.stats(queue)).toEqual({ ready: 0, inFlight: 0, delayed: 0, dead: 0, oldestAgeSeconds: null });
        expect(await limited.readDeadLetters(queue, 10)).toEqual([]);
      } finally {
        await limited.close();
      }
    });

    it('should also delete what is in flight or delayed, once SQS takes a purge again', async () => {
      const queue = fresh();
      const limited = sqs.createBackend({ client: withAwsPurgeLimit(sqs.createClient(), 2000) });
      try {
        await limited.push(queue, { n: 1 });
        await limited.purge(queue);
        await limited.push(queue, { n: 2 });
        await limited.lease(queue, { visibilityTimeoutSeconds: 30 });
        await limited.push(queue, { n: 3 }, { delaySeconds: 30 });
        expect(await limited.stats(queue)).toMatchObject({ inFlight: 1, delayed: 1 });

        await limited.purge(queue);

        expect(await limited.stats(queue)).toEqual({ ready: 0, inFlight: 0, delayed: 0, dead: 0, oldestAgeSeconds: null });
      } finally {
        await limited.close();
      }
    });
  });

  it('should reject with QueueUnavailableError when SQS cannot be reached', async () => {
    const down = new SqsQueueBackend({ settings: { endpoint: 'http://127.0.0.1:9', region: 'us-east-1', queuePrefix: 'x-', createQueues: true, waitPollMs: 50 } });
    try {
      await expect(down.push('pending', { n: 1 })).rejects.toBeInstanceOf(QueueUnavailableError);
    } finally {
      await down.close();
    }
  });
});
