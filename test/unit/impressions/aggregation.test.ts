import { classifyEvent, dimensionValues, ImpressionAggregate } from '../../../lib/impressions/aggregation';
import type { ImpressionTopic } from '../../../lib/impressions/config';

const banner: ImpressionTopic = { topic: 'cn', kind: 'banner', factor: 100 };
const event = (second: number, country = 'US', statusCode = '6') =>
  JSON.stringify({ dt: `2024-11-27T13:00:${String(second).padStart(2, '0')}Z`, userAgent: { is_bot: false }, event: { db: 'enwiki', uselang: 'en', country, statusCode, banner: 'B1', campaign: 'C1' } });

const sampledEvent = (second: number, rate: unknown) =>
  JSON.stringify({ dt: `2024-11-27T13:00:${String(second).padStart(2, '0')}Z`, event: { db: 'enwiki', uselang: 'en', country: 'US', statusCode: '6', banner: 'B1', campaign: 'C1', impressionEventSampleRate: rate } });

describe('ImpressionAggregate', () => {
  it('should sum the estimate from the sample rate of each event beside the legacy count, never into it', () => {
    const aggregate = new ImpressionAggregate();
    const unsampled: ImpressionTopic = { topic: 'cn', kind: 'banner', factor: 1 };

    for (const raw of [sampledEvent(1, 0.01), sampledEvent(2, 0.01), sampledEvent(3, 0.5), sampledEvent(4, undefined)]) aggregate.add(classifyEvent(unsampled, raw));

    expect(aggregate.cells().map(({ count, estimatedCount }) => [count, estimatedCount])).toEqual([[4, 203]]);
  });

  it('should sum the sampling factor of every counted event per cell, and tally the rest', () => {
    const aggregate = new ImpressionAggregate();
    const outcomes = [event(1), event(59), event(30, 'DE'), event(2, 'US', '2.11'), '{bad'].map((raw) => classifyEvent(banner, raw));

    for (const outcome of outcomes) aggregate.add(outcome);

    expect(aggregate.cells().map(({ cell, count }) => [cell.country, count])).toEqual([
      ['DE', 100],
      ['US', 200],
    ]);
    expect([aggregate.counted, aggregate.ignored, aggregate.invalid]).toEqual([3, 1, 1]);
  });

  it('should give the same cells and tallies when two aggregates are merged as when one sums every event', () => {
    const raws = [event(1), event(2, 'DE'), event(3), event(4, 'US', '2.11'), '{bad', event(5, 'DE'), event(6, 'FR')];
    const whole = new ImpressionAggregate();
    const first = new ImpressionAggregate();
    const second = new ImpressionAggregate();
    for (const [i, raw] of raws.entries()) {
      whole.add(classifyEvent(banner, raw));
      (i < 3 ? first : second).add(classifyEvent(banner, raw));
    }

    first.merge(second);

    expect(first.cells()).toEqual(whole.cells());
    expect([first.counted, first.ignored, first.invalid, first.size]).toEqual([whole.counted, whole.ignored, whole.invalid, 3]);
    expect(second.cells().map(({ cell, count }) => [cell.country, count])).toEqual([
      ['DE', 100],
      ['FR', 100],
    ]);
  });

  it('should list the dimension values that counted events need', () => {
    const outcomes = [event(1), event(2, 'de'), event(3, 'FR', '1')].map((raw) => classifyEvent(banner, raw));

    const values = dimensionValues(outcomes);

    expect([...values.country].sort()).toEqual(['DE', 'US']);
    expect([...values.language]).toEqual(['en']);
    expect([...values.project]).toEqual(['enwiki']);
  });
});

describe('classifyEvent', () => {
  it('should read landing page topics with the landing page rules', () => {
    const outcome = classifyEvent({ topic: 'lp', kind: 'landingpage', factor: 1 }, JSON.stringify({ dt: '2024-11-27T13:02:10Z', wiki: 'donatewiki', event: { landingpage: 'Ways_to_Give' } }));

    expect(outcome).toMatchObject({ kind: 'row', row: { landingpage: 'Ways_to_Give', country: 'XX', language: 'en' } });
  });
});
