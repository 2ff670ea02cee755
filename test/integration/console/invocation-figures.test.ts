/**
 * Every function's invocations where the console reads them (lib/console/invocation-figures.ts):
 * recorded by the shared handler runtime through its real Redis recorder
 * (lib/runtime/clients/invocation-recorder.ts) under `sls invoke local`'s close-after-each
 * lifecycle, read back by the console and served on `/console/metrics` as Prometheus counters and a
 * duration histogram. Real Redis and MariaDB; a stage of the test's own.
 */
import { coreConfig } from '../../../lib/config';
import { invocationFunctionsKey, invocationTotalsKey } from '../../../lib/console/invocation-figures';
import { defineJob } from '../../../lib/job';
import { createHandler } from '../../../lib/runtime/handler-runtime';
import { CONSOLE_TEST_TOKEN, REDIS_URL, createConsoleFixture, type ConsoleFixture } from '../../support/console';

const ENV_KEYS = ['STAGE', 'REDIS_URL', 'IS_LOCAL', 'IS_OFFLINE', 'INVOCATION_FIGURES_KEPT_DAYS', 'METRICS_NAMESPACE'] as const;

/** A consumer-shaped job: its result carries the counts the runtime reads; `fail` throws. */
const consumerJob = defineJob({
  options: () => ({}),
  run: async (_deps: { logger: unknown }, _options, event: { fail?: boolean; processed?: number; damaged?: number }) => {
    if (event.fail) throw new Error('database down');
    return { processed: event.processed ?? 0, damaged: event.damaged ?? 0, retryScheduled: 0, dropped: 0 };
  },
});

describe('invocation figures', () => {
  let f: ConsoleFixture;
  const saved: Record<string, string | undefined> = {};

  beforeAll(async () => {
    f = await createConsoleFixture();
  });

  beforeEach(() => {
    for (const key of ENV_KEYS) saved[key] = process.env[key];
    // sls invoke local: the runtime (and its Redis connection) is closed after each invocation.
    Object.assign(process.env, { STAGE: f.stage, REDIS_URL, IS_LOCAL: 'true' });
    delete process.env.IS_OFFLINE;
    delete process.env.METRICS_NAMESPACE;
    delete process.env.INVOCATION_FIGURES_KEPT_DAYS;
    coreConfig.reset();
  });

  afterEach(() => {
    for (const key of ENV_KEYS) {
      if (saved[key] === undefined) delete process.env[key];
      else process.env[key] = saved[key];
    }
    coreConfig.reset();
  });

  afterAll(async () => {
    await f.close();
  });

  it('should record each invocation through the runtime in the documented keys, kept for the configured days', async () => {
    const handler = createHandler('itest-consume', consumerJob, {});

    await handler({ processed: 4, damaged: 1 });
    await handler({ processed: 2 });
    await expect(handler({ fail: true })).rejects.toThrow('database down');

    const totals = await f.redis.hgetall(invocationTotalsKey(f.stage, 'itest-consume'));
    expect(totals).toMatchObject({ invocations: '3', errors: '1', processed: '6', damaged: '1' });
    expect(totals.dead_lettered).toBeUndefined();
    const buckets = Object.entries(totals).filter(([field]) => field.startsWith('duration_le_'));
    expect(buckets.reduce((n, [, value]) => n + Number(value), 0)).toBe(3);
    expect(await f.redis.zrange(invocationFunctionsKey(f.stage), 0, -1)).toContain('itest-consume');
    const ttl = await f.redis.ttl(invocationTotalsKey(f.stage, 'itest-consume'));
    expect(ttl).toBeGreaterThan(7 * 86_400 - 60);
    expect(ttl).toBeLessThanOrEqual(7 * 86_400);
  });

  it('should serve the recorded figures on /console/metrics as counters and a histogram per function', async () => {
    const handler = createHandler('itest-collect', defineJob({ options: () => ({}), run: async () => ({ moved: 2 }), figures: () => ({ deadLettered: 2 }) }), {});
    await handler(undefined);

    const response = await f.app.request('/console/metrics', { headers: { authorization: `Bearer ${CONSOLE_TEST_TOKEN}` } });
    const text = await response.text();

    expect(response.status).toBe(200);
    expect(text).toContain('buffer_invocation_figures_up 1');
    expect(text).toContain('# TYPE buffer_function_invocations_total counter');
    expect(text).toContain('buffer_function_invocations_total{function="itest-collect"} 1\nbuffer_function_invocations_total{function="itest-consume"} 3');
    expect(text).toContain('buffer_function_errors_total{function="itest-consume"} 1');
    expect(text).toContain('buffer_function_processed_messages_total{function="itest-consume"} 6');
    expect(text).toContain('buffer_function_dead_lettered_messages_total{function="itest-collect"} 2');
    expect(text).toContain('# TYPE buffer_function_duration_seconds histogram');
    expect(text).toContain('buffer_function_duration_seconds_bucket{function="itest-consume",le="+Inf"} 3');
    expect(text).toContain('buffer_function_duration_seconds_count{function="itest-collect"} 1');
  });

  it('should record nothing where INVOCATION_FIGURES_KEPT_DAYS is 0', async () => {
    process.env.INVOCATION_FIGURES_KEPT_DAYS = '0';
    coreConfig.reset();
    const handler = createHandler('itest-unrecorded', consumerJob, {});

    await handler({ processed: 1 });

    expect(await f.redis.exists(invocationTotalsKey(f.stage, 'itest-unrecorded'))).toBe(0);
  });

  it('should answer the invocation when Redis cannot be reached, its figures left out', async () => {
    process.env.REDIS_URL = 'redis://127.0.0.1:1';
    coreConfig.reset();
    const handler = createHandler('itest-no-redis', consumerJob, {});

    await expect(handler({ processed: 5 })).resolves.toMatchObject({ processed: 5 });
    expect(await f.redis.exists(invocationTotalsKey(f.stage, 'itest-no-redis'))).toBe(0);
  });
});
