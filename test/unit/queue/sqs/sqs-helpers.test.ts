import { QueueUnavailableError, QueueUsageError, StaleReceiptError } from '../../../../lib/queue/errors';
import { sqsSettings } from '../../../../lib/queue/sqs/config';
import { sqsDelivery, withEnqueuedTime } from '../../../../lib/queue/sqs/enqueued-time';
import { toQueueError } from '../../../../lib/queue/sqs/errors';
import { chunkBySize } from '../../../../lib/queue/sqs/sqs-backend';

/** An error shaped like the AWS SDK's service exceptions. */
function sdkError(name: string, fault: 'client' | 'server', status: number, extra: Record<string, unknown> = {}) {
  return Object.assign(new Error('service said no'), { name, $fault: fault, $metadata: { httpStatusCode: status }, ...extra });
}

describe('toQueueError', () => {
  it('should turn a rejected receipt handle into StaleReceiptError, in either code form', () => {
    expect(toQueueError(sdkError('MessageNotInflight', 'client', 400), 'ack', 'pending')).toBeInstanceOf(StaleReceiptError);
    expect(toQueueError(sdkError('Error', 'client', 400, { Code: 'AWS.SimpleQueueService.ReceiptHandleIsInvalid' }), 'ack', 'q')).toBeInstanceOf(
      StaleReceiptError,
    );
  });

  it('should treat throttling, server faults and network failures as unavailability', () => {
    expect(toQueueError(sdkError('ThrottlingException', 'client', 400), 'push', 'q')).toBeInstanceOf(QueueUnavailableError);
    expect(toQueueError(sdkError('InternalError', 'server', 500), 'push', 'q')).toBeInstanceOf(QueueUnavailableError);
    expect(toQueueError(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }), 'push', 'q')).toBeInstanceOf(QueueUnavailableError);
    expect(toQueueError(sdkError('AccessDenied', 'client', 403), 'push', 'q')).toBeInstanceOf(QueueUnavailableError);
  });

  it('should treat a request SQS refuses for its content as a usage error, naming the code and never the body', () => {
    const error = toQueueError(sdkError('InvalidMessageContents', 'client', 400), 'push', 'donations');

    expect(error).toBeInstanceOf(QueueUsageError);
    expect(error.message).toBe('push on donations was refused by SQS (InvalidMessageContents)');
  });
});

describe('withEnqueuedTime', () => {
  const sent = Date.UTC(2026, 10, 28, 1, 2, 3, 456);

  it('should append source_enqueued_time in seconds to a JSON object that lacks it', () => {
    expect(withEnqueuedTime('{"a":"1"}', sent)).toBe(`{"a":"1","source_enqueued_time":${Math.floor(sent / 1000)}}`);
    expect(JSON.parse(withEnqueuedTime('{ }', sent))).toEqual({ source_enqueued_time: Math.floor(sent / 1000) });
  });

  it('should leave a body that has the field, or is no JSON object, exactly as it is', () => {
    for (const body of ['{"source_enqueued_time":1700000000}', '{"source_enqueued_time":""}', 'not json', '[1,2]', 'null']) {
      expect(withEnqueuedTime(body, sent)).toBe(body);
    }
  });
});

describe('sqsDelivery', () => {
  const sent = Date.UTC(2026, 10, 28, 1, 2, 3, 456);
  const facts = { id: 'm1', receipt: 'handle-m1', body: '{"order_id":"1"}', receiveCount: '2', sentTimestamp: String(sent), originalEnqueuedAt: undefined };

  it('should build the contract delivery from what SQS tells, source_enqueued_time from SentTimestamp', () => {
    const delivery = sqsDelivery('pending', facts);

    expect(delivery).toEqual({
      id: 'm1',
      body: `{"order_id":"1","source_enqueued_time":${Math.floor(sent / 1000)}}`,
      receipt: 'handle-m1',
      receiveCount: 2,
      enqueuedAt: sent,
      queue: 'pending',
    });
  });

  it("should prefer a redriven message's original enqueue time to its SentTimestamp", () => {
    const original = sent - 3_600_000;

    const delivery = sqsDelivery('pending', { ...facts, originalEnqueuedAt: String(original) });

    expect(delivery.enqueuedAt).toBe(original);
    expect(JSON.parse(delivery.body)).toMatchObject({ source_enqueued_time: Math.floor(original / 1000) });
  });

  it('should count a message SQS gives no receive count for as received once', () => {
    const delivery = sqsDelivery('pending', { ...facts, receiveCount: undefined });

    expect(delivery.receiveCount).toBe(1);
  });
});

describe('chunkBySize', () => {
  it('should cut batches at 10 messages and at 256 KiB, keeping order', () => {
    const small = Array.from({ length: 23 }, (_, n) => String(n));
    expect(chunkBySize(small).map((c) => c.length)).toEqual([10, 10, 3]);
    expect(chunkBySize(small).flat()).toEqual(small);

    const big = 'x'.repeat(100 * 1024);
    expect(chunkBySize([big, big, big, 'y']).map((c) => c.length)).toEqual([2, 2]);
  });
});

describe('sqsSettings', () => {
  it('should point the local stage at the emulator with a stage prefix and queue creation', () => {
    expect(sqsSettings({ STAGE: 'local' })).toEqual({
      endpoint: 'http://127.0.0.1:4566',
      region: 'us-east-1',
      queuePrefix: 'local-',
      createQueues: true,
      waitPollMs: 250,
      receiveWaitSeconds: 0,
    });
  });

  it('should leave the endpoint to the SDK on AWS stages and never create queues there', () => {
    expect(sqsSettings({ STAGE: 'production', AWS_REGION: 'eu-west-1' })).toMatchObject({
      endpoint: undefined,
      region: 'eu-west-1',
      queuePrefix: 'production-',
      createQueues: false,
      receiveWaitSeconds: 1,
    });
  });

  it('should name a bad variable without echoing its value', () => {
    expect(() => sqsSettings({ SQS_ENDPOINT: 'ftp://secret-host', SQS_CREATE_QUEUES: 'maybe' })).toThrow(/SQS_ENDPOINT[\s\S]*SQS_CREATE_QUEUES/);
    expect(() => sqsSettings({ SQS_ENDPOINT: 'ftp://secret-host' })).not.toThrow(/secret-host/);
  });
});
