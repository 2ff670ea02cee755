import { prometheusText } from '../../../lib/console/metrics';

describe('console metrics (lib/console/metrics.ts)', () => {
  it('should write gauges per queue and state, leave out an unknown oldest age and mark a queue it could not read', () => {
    const text = prometheusText(
      [
        { queue: 'pending', stats: { ready: 3, inFlight: 1, delayed: 0, dead: 2, oldestAgeSeconds: null } },
        { queue: 'donations', error: 'QueueUnavailableError: down' },
      ],
      { 'odd"queue': 4 },
      [{ gateway: 'ingenico', total: 1, buckets: [1, 0, 0, 0, 0, 0] }],
      { partitions: [] },
    );

    expect(text).toContain('buffer_queue_up{queue="pending"} 1\nbuffer_queue_up{queue="donations"} 0');
    expect(text).toContain('buffer_queue_messages{queue="pending",state="in_flight"} 1');
    expect(text).not.toMatch(/buffer_queue_oldest_age_seconds\{/);
    expect(text).toContain('buffer_damaged_rows{queue="odd\\"queue"} 4');
    expect(text).toContain('buffer_pending_unresolved_rows{gateway="ingenico",age="< 1 h"} 1');
    expect(text.endsWith('\n')).toBe(true);
  });

  it('should write the impressions lag per topic and partition, leaving out a partition whose lag is unknown', () => {
    const partition = (n: number, lag: number | null) => ({ topic: 'banners', partition: n, endOffset: 10, nextOffset: lag === null ? null : 10 - lag, lag, countedEvents: 0, ignoredEvents: 0, invalidEvents: 0, updatedAt: null });

    const text = prometheusText([], {}, [], { partitions: [partition(0, 7), partition(1, null)] });

    expect(text).toContain('# TYPE buffer_impressions_lag_events gauge\nbuffer_impressions_lag_events{topic="banners",partition="0"} 7\n');
    expect(text).not.toContain('partition="1"');
  });
});
