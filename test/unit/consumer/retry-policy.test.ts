import { messageAgeSeconds, retryDateFor, retryPolicyFromConfig, DEFAULT_RETRY_POLICY } from '../../../lib/consumer/retry-policy';
import { consumerConfig } from '../../../lib/consumer/config';
import { messageTimestamp, parseTimestamp } from '../../../lib/consumer/message-time';

const NOW = new Date('2026-11-28T12:00:00Z');
const nowSeconds = NOW.getTime() / 1000;

describe('messageTimestamp', () => {
  it('should prefer source_enqueued_time over date', () => {
    expect(messageTimestamp({ source_enqueued_time: 1732712401, date: 1000000000 })).toBe(1732712401000);
  });

  it('should read numeric strings and legacy date texts as UTC', () => {
    expect(messageTimestamp({ source_enqueued_time: '1732712401' })).toBe(1732712401000);
    expect(messageTimestamp({ date: '2024-11-27 13:05:44' })).toBe(Date.UTC(2024, 10, 27, 13, 5, 44));
  });

  it('should return null for absent, unreadable or out-of-range values', () => {
    expect(messageTimestamp({})).toBeNull();
    expect(messageTimestamp({ date: 'yesterday' })).toBeNull();
    expect(messageTimestamp({ date: 1e15 })).toBeNull();
    expect(messageTimestamp('not an object')).toBeNull();
    expect(parseTimestamp({})).toBeNull();
  });
});

describe('retryPolicy', () => {
  it('should default to a 20 minute delay and a 200 minute max age', () => {
    expect(DEFAULT_RETRY_POLICY).toEqual({ requeueDelaySeconds: 1200, requeueMaxAgeSeconds: 12000 });
    expect(retryPolicyFromConfig(consumerConfig({}))).toEqual(DEFAULT_RETRY_POLICY);
  });

  it('should read its variables from the environment, numeric strings included', () => {
    const config = consumerConfig({ REQUEUE_DELAY_SECONDS: '60', REQUEUE_MAX_AGE_SECONDS: '600' });
    expect(retryPolicyFromConfig(config)).toEqual({ requeueDelaySeconds: 60, requeueMaxAgeSeconds: 600 });
  });

  it('should schedule a young message for now + delay', () => {
    const body = { source_enqueued_time: nowSeconds - 60 };
    expect(retryDateFor(body, NOW, DEFAULT_RETRY_POLICY)).toEqual(new Date(NOW.getTime() + 1200 * 1000));
  });

  it('should not schedule a message at or past the max age', () => {
    expect(retryDateFor({ source_enqueued_time: nowSeconds - 12000 }, NOW, DEFAULT_RETRY_POLICY)).toBeNull();
    expect(retryDateFor({ date: nowSeconds - 20000 }, NOW, DEFAULT_RETRY_POLICY)).toBeNull();
    expect(retryDateFor({ source_enqueued_time: nowSeconds - 11999 }, NOW, DEFAULT_RETRY_POLICY)).not.toBeNull();
  });

  it('should count the age from date when source_enqueued_time is absent, and treat no timestamp as new', () => {
    expect(messageAgeSeconds({ date: String(nowSeconds - 300) }, NOW)).toBe(300);
    expect(messageAgeSeconds({}, NOW)).toBe(0);
    expect(retryDateFor({}, NOW, DEFAULT_RETRY_POLICY)).not.toBeNull();
  });
});
