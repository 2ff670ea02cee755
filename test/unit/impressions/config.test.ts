import { ConfigError } from '../../../lib/errors';
import { configuredTopics, impressionsConfig } from '../../../lib/impressions/config';

describe('impressionsConfig', () => {
  it('should default to the local stack topics, counting one per banner event as the legacy loader counted the stream', () => {
    const config = impressionsConfig({});

    expect(configuredTopics(config)).toEqual([
      { topic: 'centralnotice-impressions', kind: 'banner', factor: 1 },
      { topic: 'landingpage-impressions', kind: 'landingpage', factor: 1 },
    ]);
    expect(config.KAFKA_BROKERS).toEqual(['127.0.0.1:9092']);
  });

  it('should read banner topics as topic:factor items and landing page topics as names', () => {
    const config = impressionsConfig({ IMPRESSIONS_BANNER_TOPICS: 'cn-a:100, cn-b:10,cn-c', IMPRESSIONS_LANDING_PAGE_TOPICS: 'lp-a', KAFKA_BROKERS: 'k1:9092,k2:9092' });

    expect(configuredTopics(config).map((t) => [t.topic, t.kind, t.factor])).toEqual([
      ['cn-a', 'banner', 100],
      ['cn-b', 'banner', 10],
      ['cn-c', 'banner', 1],
      ['lp-a', 'landingpage', 1],
    ]);
    expect(config.KAFKA_BROKERS).toEqual(['k1:9092', 'k2:9092']);
  });

  it.each([['cn:0'], ['cn:1.5'], ['cn:x'], ['bad topic:100'], ['cn:1:2']])('should reject the banner topic list %s by variable name', (value) => {
    expect(() => impressionsConfig({ IMPRESSIONS_BANNER_TOPICS: value })).toThrow(/IMPRESSIONS_BANNER_TOPICS/);
  });

  it('should reject a topic configured as both kinds', () => {
    const config = impressionsConfig({ IMPRESSIONS_BANNER_TOPICS: 'same:100', IMPRESSIONS_LANDING_PAGE_TOPICS: 'same' });

    expect(() => configuredTopics(config)).toThrow(ConfigError);
  });
});
