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

  it("should write each function's invocation totals as counters and its durations as a cumulative histogram in seconds", () => {
    const figures = {
      function: 'consume-pending',
      invocations: 4,
      errors: 1,
      durationMsSum: 1850,
      // 10, 50, 100, 250, 500, 1000 ms, ... then above the last bound
      durationBuckets: [1, 0, 2, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0],
      counts: { processed: 9, failed: 0, damaged: 2, retryScheduled: 1, dropped: 0, deadLettered: 0 },
    };

    const text = prometheusText([], {}, [], { partitions: [] }, [figures]);

    expect(text).toContain('buffer_invocation_figures_up 1');
    expect(text).toContain('# HELP buffer_function_invocations_total ');
    expect(text).toContain('# TYPE buffer_function_invocations_total counter\nbuffer_function_invocations_total{function="consume-pending"} 4\n');
    expect(text).toContain('buffer_function_errors_total{function="consume-pending"} 1');
    expect(text).toContain('# TYPE buffer_function_damaged_messages_total counter\nbuffer_function_damaged_messages_total{function="consume-pending"} 2\n');
    expect(text).toContain('buffer_function_retry_scheduled_messages_total{function="consume-pending"} 1');
    expect(text).toContain('# TYPE buffer_function_duration_seconds histogram');
    expect(text).toContain('buffer_function_duration_seconds_bucket{function="consume-pending",le="0.01"} 1\n');
    expect(text).toContain('buffer_function_duration_seconds_bucket{function="consume-pending",le="0.05"} 1\n');
    expect(text).toContain('buffer_function_duration_seconds_bucket{function="consume-pending",le="0.1"} 3\n');
    expect(text).toContain('buffer_function_duration_seconds_bucket{function="consume-pending",le="1"} 4\n');
    expect(text).toContain('buffer_function_duration_seconds_bucket{function="consume-pending",le="300"} 4\n');
    expect(text).toContain('buffer_function_duration_seconds_bucket{function="consume-pending",le="+Inf"} 4\nbuffer_function_duration_seconds_sum{function="consume-pending"} 1.85\nbuffer_function_duration_seconds_count{function="consume-pending"} 4\n');
  });

  it('should say when the invocation figures could not be read, and write no function samples', () => {
    const text = prometheusText([], {}, [], { partitions: [] }, { error: 'QueueUnavailableError: down' });

    expect(text).toContain('buffer_invocation_figures_up 0');
    expect(text).not.toMatch(/buffer_function_invocations_total\{/);
  });
});
