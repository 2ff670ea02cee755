/**
 * The cutover's job (lib/job.ts): `cutover-bridge`, the scheduled function that keeps moving new
 * legacy messages into their targets while both systems run (docs/architecture.md §13).
 */
import { defineJob } from '../job';
import { cutoverOptions, runBrokerChannels } from './commands';
import { CutoverUnaccountedError } from './errors';
import type { MoverDeps } from './mover';
import type { CutoverReport } from './report';

/**
 * `cutover-bridge`: every configured channel for CUTOVER_BRIDGE_TIME_LIMIT_SECONDS; fails the
 * invocation when a message it saw is neither in its target nor in `damaged`.
 */
export const cutoverBridgeJob = defineJob({
  options: cutoverOptions,
  run: async (deps: MoverDeps, options): Promise<CutoverReport> => {
    const report = await runBrokerChannels(deps, options, { mode: 'bridge' });
    deps.logger.info({ channels: report.channels }, 'cutover bridge report');
    if (!report.ok) {
      const channels = report.channels.filter((c) => c.unaccounted > 0).map((c) => c.channel);
      throw new CutoverUnaccountedError(`cutover bridge: messages unaccounted for on ${channels.join(', ')}`);
    }
    return report;
  },
});
