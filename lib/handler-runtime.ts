/**
 * The one way a handler in `functions/` holds its clients: a runtime at module scope, built on
 * the first invocation and reused by the next ones (Lambda and serverless-offline keep the module
 * loaded), so connections survive between invocations.
 *
 * `sls invoke local` (IS_LOCAL=true, IS_OFFLINE unset) runs an invocation in a process that only
 * exits once its event loop is empty: there the runtime is closed after each invocation and built
 * again on the next one. serverless-offline also sets IS_LOCAL in some versions, but it sets
 * IS_OFFLINE and reuses the module across requests, so it keeps its clients open.
 *
 * A capability adds its own clients with `extend(base)`, whose result joins the runtime and
 * whose `close` runs before the shared clients close.
 */
import Redis from 'ioredis';
import { coreConfig } from './config';
import { consumerConfig } from './consumer/config';
import { createDamagedStore, type DamagedStore } from './consumer/damaged-store';
import { retryPolicyFromConfig, type RetryPolicy } from './consumer/retry-policy';
import { openDatabase, type Database } from './db/client';
import { createLogger, type Logger } from './log';
import { createQueueBackend } from './queue';
import { redisConnectionOptions } from './queue/redis/redis-queue-backend';
import type { QueueBackend } from './queue/types';

/** The clients every handler gets. */
export interface BaseRuntime {
  backend: QueueBackend;
  database: Database;
  /**
   * A lazily connecting Redis client (fail-fast settings). With QUEUE_BACKEND=redis the queue
   * backend uses this same connection, so a capability needing Redis of its own (the tracking id
   * sequence) shares it; otherwise it opens a socket only when a command is sent.
   */
  redis: Redis;
  damagedStore: DamagedStore;
  retryPolicy: RetryPolicy;
  logger: Logger;
}

/** What an extension may hold beyond its clients: how to close them. */
export interface Closable {
  close?(): Promise<void> | void;
}

/** Opens a capability's own clients on top of the base ones. */
export type RuntimeExtension<X extends object> = (base: BaseRuntime) => X & Closable;

/** The base runtime together with how to close it. */
export interface OpenedBase {
  runtime: BaseRuntime;
  close(): Promise<void>;
}

export interface HandlerRuntimeOptions {
  /** Builds the base runtime; the configured clients by default (tests pass fakes). */
  openBase?: (component: string) => OpenedBase;
}

export interface HandlerRuntime<R> {
  /** Runs `job` with the process's runtime (built on first use); closes it afterwards under `sls invoke local`. */
  run<T>(job: (runtime: R) => Promise<T>): Promise<T>;
}

/**
 * Opens the configured clients. Nothing connects here: the pool, the Redis client and the queue
 * backend connect on their first command, so a cold start opens no socket before it needs one.
 */
export function openBaseRuntime(component: string): OpenedBase {
  const core = coreConfig();
  const logger = createLogger({ component });
  const redis = new Redis(core.REDIS_URL, redisConnectionOptions());
  redis.on('error', (error: Error) => logger.debug({ err: error.message }, 'redis connection error'));
  const database = openDatabase(core.DATABASE_URL);
  // The backend does not own a client it is given: `close` below ends it.
  const backend = createQueueBackend(core.QUEUE_BACKEND === 'redis' ? { redis: { redis } } : {});
  const runtime: BaseRuntime = {
    backend,
    database,
    redis,
    damagedStore: createDamagedStore(database.db),
    retryPolicy: retryPolicyFromConfig(consumerConfig()),
    logger,
  };
  return {
    runtime,
    async close() {
      await settleAll([backend.close(), database.close()]);
      await closeRedis(redis);
    },
  };
}

/** True under `sls invoke local`, where one invocation must leave nothing open behind it. */
export function closesAfterInvocation(env: NodeJS.ProcessEnv = process.env): boolean {
  return env.IS_LOCAL === 'true' && env.IS_OFFLINE !== 'true';
}

/**
 * The module-scope runtime of the handler `component`. `extend` adds the capability's clients
 * (built from the base ones, rebuilt with them); without it the runtime is the base.
 */
export function createHandlerRuntime(component: string): HandlerRuntime<BaseRuntime>;
export function createHandlerRuntime<X extends object>(
  component: string,
  extend: RuntimeExtension<X>,
  options?: HandlerRuntimeOptions,
): HandlerRuntime<BaseRuntime & X>;
export function createHandlerRuntime<X extends object>(
  component: string,
  extend?: RuntimeExtension<X>,
  { openBase = openBaseRuntime }: HandlerRuntimeOptions = {},
): HandlerRuntime<BaseRuntime & X> {
  let current: { runtime: BaseRuntime & X; close(): Promise<void> } | undefined;

  const build = () => {
    const base = openBase(component);
    let extra: (X & Closable) | undefined;
    try {
      extra = extend ? extend(base.runtime) : undefined;
    } catch (error) {
      void base.close();
      throw error;
    }
    const { close: closeExtra, ...extraClients } = extra ?? ({} as X & Closable);
    return {
      runtime: { ...base.runtime, ...extraClients } as BaseRuntime & X,
      async close() {
        // The extension's clients may use the base ones (a consumer on the pool): they go first.
        await settleAll([Promise.resolve().then(() => closeExtra?.call(extra))]);
        await base.close();
      },
    };
  };

  return {
    async run(job) {
      current ??= build();
      const { runtime } = current;
      try {
        return await job(runtime);
      } finally {
        if (closesAfterInvocation() && current) {
          const closing = current;
          current = undefined;
          await closing.close();
        }
      }
    },
  };
}

/** Waits for every close; one client failing to close must not keep the others open. */
async function settleAll(closing: Array<Promise<unknown>>): Promise<void> {
  await Promise.allSettled(closing);
}

async function closeRedis(redis: Redis): Promise<void> {
  if (redis.status !== 'ready') {
    redis.disconnect();
    return;
  }
  try {
    await redis.quit();
  } catch {
    redis.disconnect();
  }
}
