/**
 * The rectifier's job as its function runs it (lib/job.ts): gateways, adapters and limits from
 * configuration, one call into the rectifier. The adapters are stateless HTTP clients, built
 * once with the options.
 */
import { configuredRetryPolicy } from '../consumer/retry-policy';
import { defineJob } from '../job';
import { pendingConfig } from '../pending/config';
import { adaptersFromConfig, gatewaysToRectify } from './adapters';
import { rectifierConfig } from './config';
import { rectifyOrphans, type RectifierDeps, type RectifyResult } from './orphan-rectifier';

/** `rectify-orphans`: the orphans of every configured gateway. */
export const rectifyOrphansJob = defineJob({
  options: () => {
    const config = rectifierConfig();
    const pending = pendingConfig();
    const adapters = adaptersFromConfig(config);
    return {
      adapters,
      retryPolicy: configuredRetryPolicy(),
      gateways: gatewaysToRectify(config, adapters),
      minAgeMinutes: config.RECTIFY_ORPHANS_MIN_AGE_MINUTES,
      limitPerGateway: config.RECTIFY_ORPHANS_LIMIT,
      timeLimitSeconds: config.RECTIFY_ORPHANS_TIME_LIMIT_SECONDS,
      resolveMode: pending.PENDING_RESOLVE_MODE,
      donationsQueue: pending.DONATIONS_QUEUE,
      pendingQueue: pending.PENDING_QUEUE,
    };
  },
  run: (deps: Omit<RectifierDeps, 'adapters' | 'retryPolicy'>, { adapters, retryPolicy, ...options }): Promise<RectifyResult> =>
    rectifyOrphans({ ...deps, adapters, retryPolicy }, options),
});
