/**
 * The clients a pending-pipeline job needs (queue backend, database, damaged store), built from
 * configuration once per process and reused across Lambda invocations. Under `sls invoke local`
 * (IS_LOCAL) they are closed after the invocation, so that the command returns.
 */
import { createQueueBackend } from '../queue';
import type { QueueBackend } from '../queue/types';
import { holder, openEventRuntime, type EventRuntime } from '../consumer/event-runtime';

export interface PipelineRuntime extends EventRuntime {
  backend: QueueBackend;
}

/** A lazily built runtime for one function; `run` hands it to a job. */
export function createRuntimeHolder(component: string) {
  return holder<PipelineRuntime>(
    () => ({ ...openEventRuntime(component), backend: createQueueBackend() }),
    (runtime) => Promise.allSettled([runtime.backend.close(), runtime.database.close()]),
  );
}
