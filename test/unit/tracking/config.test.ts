import { ConfigError } from '../../../lib/errors';
import { trackingConfig, trackingEndpointConfig } from '../../../lib/tracking/config';

describe('trackingConfig', () => {
  it('should default to the contribution-tracking queue and accept numeric strings for the limits', () => {
    const config = trackingConfig({ TRACKING_CONSUMER_TIME_LIMIT_SECONDS: '60', TRACKING_CONSUMER_BATCH_SIZE: '250' });

    expect(config).toEqual({
      TRACKING_QUEUE: 'contribution-tracking',
      TRACKING_ID_SEQUENCE_KEY: 'contribution-tracking:id-sequence',
      TRACKING_CONSUMER_TIME_LIMIT_SECONDS: 60,
      TRACKING_CONSUMER_MESSAGE_LIMIT: 0,
      TRACKING_CONSUMER_BATCH_SIZE: 250,
    });
  });

  it('should name a bad batch size without quoting it', () => {
    expect(() => trackingConfig({ TRACKING_CONSUMER_BATCH_SIZE: '5000' })).toThrow(ConfigError);
    expect(() => trackingConfig({ TRACKING_CONSUMER_BATCH_SIZE: 'lots' })).toThrow(/TRACKING_CONSUMER_BATCH_SIZE/);
  });
});

describe('trackingEndpointConfig', () => {
  it('should require the signing secret and never echo it', () => {
    expect(() => trackingEndpointConfig({})).toThrow(/TRACKING_HMAC_SECRET/);
    expect(trackingEndpointConfig({ TRACKING_HMAC_SECRET: 's3cret' }).TRACKING_HMAC_SECRET).toBe('s3cret');
  });
});
