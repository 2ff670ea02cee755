/**
 * `rectify-orphans` as the scheduled function runs it: gateways, adapters and limits from
 * configuration.
 */
import { pendingConfig } from '../pending/config';
import type { BaseRuntime } from '../handler-runtime';
import { adaptersFromConfig, gatewaysToRectify } from './adapters';
import { rectifierConfig } from './config';
import { rectifyOrphans, type RectifyResult } from './orphan-rectifier';

/** Rectifies the orphans of every configured gateway. */
export function rectifyOrphansJob(runtime: BaseRuntime): Promise<RectifyResult> {
  const config = rectifierConfig();
  const pending = pendingConfig();
  const adapters = adaptersFromConfig(config);
  return rectifyOrphans(
    { db: runtime.database.db, backend: runtime.backend, damagedStore: runtime.damagedStore, adapters, logger: runtime.logger },
    {
      gateways: gatewaysToRectify(config, adapters),
      minAgeMinutes: config.RECTIFY_ORPHANS_MIN_AGE_MINUTES,
      limitPerGateway: config.RECTIFY_ORPHANS_LIMIT,
      timeLimitSeconds: config.RECTIFY_ORPHANS_TIME_LIMIT_SECONDS,
      resolveMode: pending.PENDING_RESOLVE_MODE,
      donationsQueue: pending.DONATIONS_QUEUE,
      pendingQueue: pending.PENDING_QUEUE,
    },
  );
}
