import { closesAfterInvocation, createHandlerRuntime, type BaseRuntime, type OpenedBase } from '../../lib/handler-runtime';

/** A base runtime of fakes: each build is numbered, and closing it is recorded. */
function fakeBases() {
  const built: Array<{ runtime: BaseRuntime; close: jest.Mock<Promise<void>, []> }> = [];
  const openBase = jest.fn((): OpenedBase => {
    const opened = { runtime: { build: built.length + 1 } as unknown as BaseRuntime, close: jest.fn(async () => undefined) };
    built.push(opened);
    return opened;
  });
  return { built, openBase };
}

const ENV_KEYS = ['IS_LOCAL', 'IS_OFFLINE'] as const;

describe('createHandlerRuntime', () => {
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

  function runtimeWith<X extends object = { base: BaseRuntime }>(extend?: (base: BaseRuntime) => X & { close?(): Promise<void> | void }) {
    const bases = fakeBases();
    const extension = extend ?? ((base: BaseRuntime) => ({ base }) as unknown as X);
    const runtime = createHandlerRuntime('test', extension, { openBase: bases.openBase });
    return { ...bases, runtime };
  }

  it('should build nothing before the first invocation', () => {
    const { openBase } = runtimeWith();

    expect(openBase).not.toHaveBeenCalled();
  });

  it('should reuse one runtime across invocations in Lambda, without closing it', async () => {
    const { built, openBase, runtime } = runtimeWith();

    const first = await runtime.run(async (r) => r.base);
    const second = await runtime.run(async (r) => r.base);

    expect(openBase).toHaveBeenCalledTimes(1);
    expect(second).toBe(first);
    expect(built[0]!.close).not.toHaveBeenCalled();
  });

  it('should close the runtime after each invocation under sls invoke local and rebuild it on the next', async () => {
    process.env.IS_LOCAL = 'true';
    const { built, openBase, runtime } = runtimeWith();

    const first = await runtime.run(async (r) => r.base);
    expect(built[0]!.close).toHaveBeenCalledTimes(1);
    const second = await runtime.run(async (r) => r.base);

    expect(openBase).toHaveBeenCalledTimes(2);
    expect(second).not.toBe(first);
    expect(second).toBe(built[1]!.runtime);
    expect(built[1]!.close).toHaveBeenCalledTimes(1);
  });

  it('should close the runtime under sls invoke local when the job fails, and pass the failure on', async () => {
    process.env.IS_LOCAL = 'true';
    const { built, runtime } = runtimeWith();

    await expect(runtime.run(async () => Promise.reject(new Error('database down')))).rejects.toThrow('database down');

    expect(built[0]!.close).toHaveBeenCalledTimes(1);
  });

  it('should keep the runtime open under serverless-offline, which sets IS_OFFLINE as well', async () => {
    process.env.IS_LOCAL = 'true';
    process.env.IS_OFFLINE = 'true';
    const { built, openBase, runtime } = runtimeWith();

    await runtime.run(async () => undefined);
    await runtime.run(async () => undefined);

    expect(openBase).toHaveBeenCalledTimes(1);
    expect(built[0]!.close).not.toHaveBeenCalled();
  });

  it("should hand the job the extension's clients beside the base ones, built from that base", async () => {
    const { built, runtime } = runtimeWith((base) => ({ loader: { on: base } }));

    const seen = await runtime.run(async (r) => r);

    expect(seen.loader.on).toBe(built[0]!.runtime);
    expect((seen as unknown as { build: number }).build).toBe(1);
    expect(seen).not.toHaveProperty('close');
  });

  it("should close the extension's clients before the base ones under sls invoke local", async () => {
    process.env.IS_LOCAL = 'true';
    const order: string[] = [];
    const closeExtension = jest.fn(() => {
      order.push('extension');
    });
    const { built, runtime } = runtimeWith(() => ({ kafka: {}, close: closeExtension }));
    const run = runtime.run(async () => undefined);
    built[0]!.close.mockImplementation(async () => {
      order.push('base');
    });

    await run;

    expect(closeExtension).toHaveBeenCalledTimes(1);
    expect(order).toEqual(['extension', 'base']);
  });

  it("should close the base even when the extension's close fails", async () => {
    process.env.IS_LOCAL = 'true';
    const { built, runtime } = runtimeWith(() => ({ close: () => Promise.reject(new Error('kafka stuck')) }));

    await runtime.run(async () => undefined);

    expect(built[0]!.close).toHaveBeenCalledTimes(1);
  });

  it("should not close the extension's clients in Lambda", async () => {
    const closeExtension = jest.fn();
    const { runtime } = runtimeWith(() => ({ close: closeExtension }));

    await runtime.run(async () => undefined);
    await runtime.run(async () => undefined);

    expect(closeExtension).not.toHaveBeenCalled();
  });

  it('should close the base and build again next time when the extension throws while building', async () => {
    const { built, openBase, runtime } = runtimeWith(() => {
      if (openBase.mock.calls.length === 1) throw new Error('bad config');
      return { ok: true };
    });

    await expect(runtime.run(async () => undefined)).rejects.toThrow('bad config');
    const second = await runtime.run(async (r) => r.ok);

    expect(built[0]!.close).toHaveBeenCalledTimes(1);
    expect(second).toBe(true);
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

describe('openBaseRuntime', () => {
  it('should open no connection before a command and close its clients without one', async () => {
    jest.resetModules();
    const saved = { ...process.env };
    Object.assign(process.env, {
      QUEUE_BACKEND: 'redis',
      REDIS_URL: 'redis://127.0.0.1:1',
      DATABASE_URL: 'mysql://nobody@127.0.0.1:1/nothing',
    });
    try {
      const { openBaseRuntime } = await import('../../lib/handler-runtime');
      const opened = openBaseRuntime('test');

      expect(opened.runtime.redis.status).toBe('wait');
      await opened.close();
      expect(opened.runtime.redis.status).toBe('end');
    } finally {
      process.env = saved;
    }
  });
});
