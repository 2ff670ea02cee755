import { defineJob } from '../../../lib/job';
import type { ClientSpec } from '../../../lib/runtime/client';
import type { Invocation } from '../../../lib/job';
import { closesAfterInvocation, createHandler, openRuntime } from '../../../lib/runtime/handler-runtime';
import type { RecordInvocation } from '../../../lib/runtime/invocation-metrics';

const ENV_KEYS = ['IS_LOCAL', 'IS_OFFLINE'] as const;

/** A spec whose clients are numbered objects; opening and closing are recorded in `events`. */
function recordingSpec(name: string, events: string[], build: (use: <T>(spec: ClientSpec<T>) => T) => object = () => ({})): ClientSpec<{ name: string; serial: number; on?: unknown }> {
  let serial = 0;
  return {
    name,
    open: ({ use }) => {
      const client = { ...build(use), name, serial: ++serial };
      events.push(`open ${name}#${client.serial}`);
      return client;
    },
    close: (client) => {
      events.push(`close ${name}#${client.serial}`);
    },
  };
}

/** Unit tests record no invocation in Redis (the recorder has tests of its own below and in test/integration/console). */
const NO_RECORDER = { recorder: null };

/** A job that hands back what it was given. */
const echoJob = defineJob({
  options: () => ({ limit: 3 }),
  run: async (deps: { store: { serial: number }; logger: unknown }, options, event: string) => ({ deps, options, event }),
});

describe('createHandler', () => {
  const saved: Record<string, string | undefined> = {};

  beforeEach(() => {
    for (const key of ENV_KEYS) {
      saved[key] = process.env[key];
      delete process.env[key];
    }
  });

  afterEach(() => {
    for (const key of ENV_KEYS) {
      if (saved[key] === undefined) delete process.env[key];
      else process.env[key] = saved[key];
    }
  });

  it('should open nothing before the first invocation', () => {
    const events: string[] = [];

    createHandler('test', echoJob, { store: recordingSpec('store', events) }, NO_RECORDER);

    expect(events).toEqual([]);
  });

  it("should give the job its named clients, a logger and its options, reusing them across invocations in Lambda", async () => {
    const events: string[] = [];
    const handler = createHandler('test', echoJob, { store: recordingSpec('store', events) }, NO_RECORDER);

    const first = await handler('a');
    const second = await handler('b');

    expect(first.deps.store.serial).toBe(1);
    expect(second.deps.store).toBe(first.deps.store);
    expect(typeof (first.deps.logger as { info?: unknown }).info).toBe('function');
    expect(first.options).toEqual({ limit: 3 });
    expect([first.event, second.event]).toEqual(['a', 'b']);
    expect(events).toEqual(['open store#1']);
  });

  it('should close the clients after each invocation under sls invoke local and open them again on the next', async () => {
    process.env.IS_LOCAL = 'true';
    const events: string[] = [];
    const handler = createHandler('test', echoJob, { store: recordingSpec('store', events) }, NO_RECORDER);

    await handler('a');
    await handler('b');

    expect(events).toEqual(['open store#1', 'close store#1', 'open store#2', 'close store#2']);
  });

  it('should close the clients under sls invoke local when the job fails, and pass the failure on', async () => {
    process.env.IS_LOCAL = 'true';
    const events: string[] = [];
    const failing = defineJob({ options: () => ({}), run: async (_deps: { store: object }) => Promise.reject(new Error('database down')) });
    const handler = createHandler('test', failing, { store: recordingSpec('store', events) }, NO_RECORDER);

    await expect(handler()).rejects.toThrow('database down');

    expect(events).toEqual(['open store#1', 'close store#1']);
  });

  it('should keep the clients open under serverless-offline, which sets IS_OFFLINE as well', async () => {
    process.env.IS_LOCAL = 'true';
    process.env.IS_OFFLINE = 'true';
    const events: string[] = [];
    const handler = createHandler('test', echoJob, { store: recordingSpec('store', events) }, NO_RECORDER);

    await handler('a');
    await handler('b');

    expect(events).toEqual(['open store#1']);
  });

  it('should build the runtime again on the next invocation when building it failed', async () => {
    const events: string[] = [];
    let calls = 0;
    const flaky = defineJob({
      options: () => {
        calls += 1;
        if (calls === 1) throw new Error('bad config');
        return {};
      },
      run: async (deps: { store: { serial: number } }) => deps.store.serial,
    });
    const handler = createHandler('test', flaky, { store: recordingSpec('store', events) }, NO_RECORDER);

    await expect(handler()).rejects.toThrow('bad config');
    const serial = await handler();

    expect(serial).toBe(1);
    expect(events).toEqual(['open store#1']);
  });
});

describe('openRuntime', () => {
  it('should open a spec used by two others once, and close in reverse order of opening', async () => {
    const events: string[] = [];
    const database = recordingSpec('database', events);
    const store = recordingSpec('store', events, (use) => ({ on: use(database) }));
    const cache = recordingSpec('cache', events, (use) => ({ on: use(database) }));
    const job = defineJob({
      options: () => ({}),
      run: async (deps: { store: { on?: unknown }; cache: { on?: unknown } }) => deps.store.on === deps.cache.on,
    });

    const opened = openRuntime('test', job, { store, cache });
    const shared = await job.run(opened.deps, opened.options);
    await opened.close();

    expect(shared).toBe(true);
    expect(events).toEqual(['open database#1', 'open store#1', 'open cache#1', 'close cache#1', 'close store#1', 'close database#1']);
  });

  it('should close every client even when one fails to close', async () => {
    const events: string[] = [];
    const stuck: ClientSpec<object> = { name: 'stuck', open: () => ({}), close: () => Promise.reject(new Error('kafka stuck')) };
    const job = defineJob({ options: () => ({}), run: async (_deps: { store: object; stuck: object }) => undefined });

    const opened = openRuntime('test', job, { store: recordingSpec('store', events), stuck });
    await opened.close();

    expect(events).toEqual(['open store#1', 'close store#1']);
  });
});

describe('closesAfterInvocation', () => {
  it('should be true only for sls invoke local', () => {
    expect(closesAfterInvocation({ IS_LOCAL: 'true' })).toBe(true);
    expect(closesAfterInvocation({ IS_LOCAL: 'true', IS_OFFLINE: 'true' })).toBe(false);
    expect(closesAfterInvocation({ IS_OFFLINE: 'true' })).toBe(false);
    expect(closesAfterInvocation({})).toBe(false);
  });
});

describe('createHandler recording invocations for the console', () => {
  /** A recorder spec that keeps what it is given, opened on the runtime like any client. */
  function memoryRecorder(recorded: Invocation[], fail = false): ClientSpec<RecordInvocation> {
    return {
      name: 'memory recorder',
      open: () => async (invocation) => {
        if (fail) throw new Error('Redis down');
        recorded.push(invocation);
      },
    };
  }

  it('should record every invocation, failed or not, with its duration and its run\'s counts', async () => {
    const recorded: Invocation[] = [];
    const job = defineJob({
      options: () => ({}),
      run: async (_deps: { logger: unknown }, _options, event: { fail?: boolean }) => {
        if (event.fail) throw new Error('processor down');
        return { processed: 3, damaged: 1, retryScheduled: 0, dropped: 0 };
      },
    });
    const handler = createHandler('test', job, {}, { recorder: memoryRecorder(recorded) });

    await handler({});
    await expect(handler({ fail: true })).rejects.toThrow('processor down');

    expect(recorded.map(({ failed, counts }) => ({ failed, counts }))).toEqual([
      { failed: false, counts: { processed: 3, damaged: 1, retryScheduled: 0, dropped: 0 } },
      { failed: true, counts: {} },
    ]);
    expect(recorded.every((r) => r.durationMs >= 0)).toBe(true);
  });

  it('should answer the invocation when the recorder fails', async () => {
    const recorded: Invocation[] = [];
    const handler = createHandler('test', echoJob, { store: recordingSpec('store', []) }, { recorder: memoryRecorder(recorded, true) });

    await expect(handler('a')).resolves.toMatchObject({ event: 'a' });
    expect(recorded).toEqual([]);
  });
});

describe('client specs', () => {
  it('should open no connection before a command and close the Redis, queue and database clients without one', async () => {
    jest.resetModules();
    const saved = { ...process.env };
    Object.assign(process.env, {
      QUEUE_BACKEND: 'redis',
      REDIS_URL: 'redis://127.0.0.1:1',
      DATABASE_URL: 'mysql://nobody@127.0.0.1:1/nothing',
    });
    try {
      const { openRuntime: open } = await import('../../../lib/runtime/handler-runtime');
      const { redisClient } = await import('../../../lib/runtime/clients/redis');
      const { queueBackendClient } = await import('../../../lib/runtime/clients/queue-backend');
      const { damagedStoreClient } = await import('../../../lib/runtime/clients/damaged-store');
      const job = defineJob({ options: () => ({}), run: async (_deps: { redis: unknown; backend: unknown; damagedStore: unknown }) => undefined });
      const opened = open('test', job, { redis: redisClient, backend: queueBackendClient, damagedStore: damagedStoreClient });
      const redis = opened.deps.redis as { status: string };

      expect(redis.status).toBe('wait');
      await opened.close();
      expect(redis.status).toBe('end');
    } finally {
      process.env = saved;
    }
  });
});
