import { deliveryOf, isFifoSource, logicalQueueName, type SqsEventRecord } from '../../../../lib/queue/sqs/lambda-event';

const STANDARD_ARN = 'arn:aws:sqs:us-east-1:123456789012:dev-pending';
const FIFO_ARN = 'arn:aws:sqs:us-east-1:123456789012:dev-pending.fifo';

describe('logicalQueueName', () => {
  it('should strip the stage prefix and the .fifo suffix from the ARN', () => {
    expect(logicalQueueName(FIFO_ARN, 'dev-')).toBe('pending');
    expect(logicalQueueName('arn:aws:sqs:eu-west-1:1:production-contribution-tracking', 'production-')).toBe('contribution-tracking');
    expect(logicalQueueName(STANDARD_ARN)).toBe('dev-pending');
  });
});

describe('isFifoSource', () => {
  it('should tell a FIFO queue by its .fifo name', () => {
    expect(isFifoSource(FIFO_ARN)).toBe(true);
    expect(isFifoSource(STANDARD_ARN)).toBe(false);
  });
});

describe('deliveryOf', () => {
  it('should give a record the shape the backend delivers, source_enqueued_time from SentTimestamp', () => {
    const sent = Date.UTC(2026, 10, 28, 1, 2, 3, 456);
    const record: SqsEventRecord = {
      messageId: 'm1',
      receiptHandle: 'handle-m1',
      body: '{"order_id":"1"}',
      attributes: { ApproximateReceiveCount: '3', SentTimestamp: String(sent) },
      eventSourceARN: STANDARD_ARN,
    };

    const delivery = deliveryOf(record, 'pending');

    expect(delivery).toEqual({
      id: 'm1',
      body: `{"order_id":"1","source_enqueued_time":${Math.floor(sent / 1000)}}`,
      receipt: 'handle-m1',
      receiveCount: 3,
      enqueuedAt: sent,
      queue: 'pending',
    });
  });

  it('should take the original enqueue time of a redriven record from its message attribute, as the backend does', () => {
    const sent = Date.UTC(2026, 10, 28, 1, 2, 3, 456);
    const original = sent - 86_400_000;
    const record: SqsEventRecord = {
      messageId: 'm2',
      receiptHandle: 'handle-m2',
      body: '{"order_id":"2"}',
      attributes: { ApproximateReceiveCount: '1', SentTimestamp: String(sent) },
      messageAttributes: { buffer_enqueued_at: { stringValue: String(original), dataType: 'Number' } },
      eventSourceARN: STANDARD_ARN,
    };

    const delivery = deliveryOf(record, 'pending');

    expect(delivery.enqueuedAt).toBe(original);
    expect(delivery.body).toBe(`{"order_id":"2","source_enqueued_time":${Math.floor(original / 1000)}}`);
  });
});
