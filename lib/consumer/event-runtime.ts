/**
 * The clients of a job that needs no queue backend (the SQS-triggered consumers: Lambda receives
 * and deletes their messages): database, damaged store, retry policy, logger. Kept apart from
 * runtime.ts so that their bundles do not carry the queue backends (and on SQS the AWS SDK).
 */
import { coreConfig } from '../config';
import { consumerConfig } from './config';
import { createDamagedStore, type DamagedStore } from './damaged-store';
import { retryPolicyFromConfig, type RetryPolicy } from './retry-policy';
import { openDatabase, type Database } from '../db/client';
import { createLogger, type Logger } from '../log';

export interface EventRuntime {
  database: Database;
  damagedStore: DamagedStore;
  retryPolicy: RetryPolicy;
  logger: Logger;
}

/** Opens the database (lazily connecting) and what hangs off it. */
export function openEventRuntime(component: string): EventRuntime {
  const database = openDatabase(coreConfig().DATABASE_URL);
  return {
    database,
    damagedStore: createDamagedStore(database.db),
    retryPolicy: retryPolicyFromConfig(consumerConfig()),
    logger: createLogger({ component }),
  };
}

/**
 * Builds a runtime on first use and reuses it across Lambda invocations; under `sls invoke local`
 * (IS_LOCAL, not offline) closes it after each run, so that the command returns.
 */
export function holder<R>(open: () => R, close: (runtime: R) => Promise<unknown>) {
  let runtime: R | undefined;
  return {
    /** Runs `job` with the process's runtime. */
    async run<T>(job: (runtime: R) => Promise<T>): Promise<T> {
      runtime ??= open();
      try {
        return await job(runtime);
      } finally {
        if (process.env.IS_LOCAL === 'true' && process.env.IS_OFFLINE !== 'true') {
          const closing = runtime;
          runtime = undefined;
          await close(closing);
        }
      }
    },
  };
}

/** A lazily built runtime without queue backend for one function. */
export function createEventRuntimeHolder(component: string) {
  return holder<EventRuntime>(
    () => openEventRuntime(component),
    (runtime) => runtime.database.close(),
  );
}
