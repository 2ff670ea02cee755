/**
 * Where the runtime records each invocation for the console (lib/console/invocation-figures.ts):
 * the runtime's Redis connection (./redis.ts, shared with the queue backend where the job has
 * one), under the function's name and the stage. The recorder never rejects and waits for Redis
 * at most RECORD_WAIT_MS: figures meant for people must not fail or stall an invocation whose work
 * is done (a write still under way then finishes, or not, on its own).
 */
import { coreConfig } from '../../config';
import { recordInvocation } from '../../console/invocation-figures';
import type { ClientSpec } from '../client';
import type { RecordInvocation } from '../invocation-metrics';
import { redisClient } from './redis';

/** How long an invocation waits for its figures to be written. */
export const RECORD_WAIT_MS = 250;

export const invocationRecorderClient: ClientSpec<RecordInvocation> = {
  name: 'invocation recorder',
  open: ({ component, logger, use }) => {
    const { STAGE, INVOCATION_FIGURES_KEPT_DAYS } = coreConfig();
    if (INVOCATION_FIGURES_KEPT_DAYS === 0) return async () => undefined;
    const redis = use(redisClient);
    return async (invocation) => {
      let timer: NodeJS.Timeout | undefined;
      const gaveUp = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), RECORD_WAIT_MS)));
      // Settled either way, so that a write that fails after the wait rejects nothing unhandled.
      const writing = recordInvocation(redis, STAGE, component, invocation, INVOCATION_FIGURES_KEPT_DAYS).then(
        () => 'written' as const,
        (error: unknown) => (error instanceof Error ? error : new Error(String(error))),
      );
      const outcome = await Promise.race([writing, gaveUp]);
      clearTimeout(timer);
      if (outcome === 'late') logger.warn({ waitedMs: RECORD_WAIT_MS }, 'invocation figures not confirmed by Redis in time');
      else if (outcome instanceof Error) logger.warn({ err: outcome.message }, 'invocation figures not recorded');
    };
  },
};
