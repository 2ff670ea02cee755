/**
 * The clients a handler opens at module scope (queue backend, database pool), shared by every
 * handler so that each one stays a single call into `lib/`.
 *
 * Lambda and serverless-offline reuse them across invocations. `sls invoke local` (which sets
 * IS_LOCAL) runs one invocation in a process that only exits once its event loop is empty, so
 * there `endInvocation` closes them.
 */
import { coreConfig } from './config';
import { openDatabase, type Database } from './db/client';
import { createQueueBackend } from './queue';
import type { QueueBackend } from './queue/types';

export interface HandlerClients {
  backend: QueueBackend;
  database: Database;
}

/** Opens the configured queue backend and a small database pool (both connect lazily). */
export function openHandlerClients(): HandlerClients {
  return {
    backend: createQueueBackend(),
    database: openDatabase(coreConfig().DATABASE_URL, { connectionLimit: 2 }),
  };
}

/** Call in a `finally` after each invocation: closes the clients only under `sls invoke local`. */
export async function endInvocation(clients: HandlerClients): Promise<void> {
  if (process.env.IS_LOCAL !== 'true') return;
  await Promise.allSettled([clients.backend.close(), clients.database.close()]);
}
