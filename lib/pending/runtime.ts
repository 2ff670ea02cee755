/**
 * The clients a pending-pipeline job needs (queue backend, database, damaged store), built from
 * configuration once per process and reused across Lambda invocations. Under `sls invoke local`
 * (IS_LOCAL) they are closed after the invocation, so that the command returns.
 */
import { coreConfig } from '../config';
import { consumerConfig } from '../consumer/config';
import { createDamagedStore, type DamagedStore } from '../consumer/damaged-store';
import { retryPolicyFromConfig, type RetryPolicy } from '../consumer/retry-policy';
import { openDatabase, type Database } from '../db/client';
import { createLogger, type Logger } from '../log';
import { createQueueBackend } from '../queue';
import type { QueueBackend } from '../queue/types';

export interface PipelineRuntime {
  backend: QueueBackend;
  database: Database;
  damagedStore: DamagedStore;
  retryPolicy: RetryPolicy;
  logger: Logger;
}

/** A lazily built runtime for one function; `run` hands it to a job. */
export function createRuntimeHolder(component: string) {
  let runtime: PipelineRuntime | undefined;
  const open = (): PipelineRuntime => {
    const core = coreConfig();
    const database = openDatabase(core.DATABASE_URL);
    return {
      backend: createQueueBackend(),
      database,
      damagedStore: createDamagedStore(database.db),
      retryPolicy: retryPolicyFromConfig(consumerConfig()),
      logger: createLogger({ component }),
    };
  };
  return {
    /** Runs `job` with the process's runtime; closes it afterwards when invoked locally. */
    async run<T>(job: (runtime: PipelineRuntime) => Promise<T>): Promise<T> {
      runtime ??= open();
      try {
        return await job(runtime);
      } finally {
        if (process.env.IS_LOCAL === 'true' && process.env.IS_OFFLINE !== 'true') {
          const closing = runtime;
          runtime = undefined;
          await Promise.allSettled([closing.backend.close(), closing.database.close()]);
        }
      }
    },
  };
}
