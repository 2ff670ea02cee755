/**
 * `npm run tracking:rebuild [-- --check]`: recomputes `contribution_tracking`, `contribution_tracking_detail` and
 * `contribution_source` from the event log, with the consumer's merge rules. `--check` writes
 * nothing and exits 1 when the table differs from the log. Safe while the consumer runs.
 */
import { capabilityDatabaseUrl, coreConfig } from '../lib/config';
import { openDatabase } from '../lib/db/client';
import { log } from '../lib/log';
import { definedPartitionSpec } from '../lib/queue/partitions';
import { trackingConfig } from '../lib/tracking/config';
import { rebuildTrackingSummary } from '../lib/tracking/rebuild';

async function main(): Promise<number> {
  const check = process.argv.includes('--check');
  const database = openDatabase(capabilityDatabaseUrl(coreConfig(), 'tracking'), { connectionLimit: 2 });
  try {
    // The consumers' writer locks: one per partition of the tracking queue.
    const result = await rebuildTrackingSummary(database.pool, log, { check, partitionSpec: definedPartitionSpec(trackingConfig().TRACKING_QUEUE) });
    if (check && result.differing.length > 0) {
      log.error({ differing: result.differing.length, firstIds: result.differing.slice(0, 20) }, 'summary differs from the event log');
      return 1;
    }
    return 0;
  } finally {
    await database.close();
  }
}

main().then(
  (code) => process.exit(code),
  (error) => {
    log.fatal({ err: error }, 'contribution tracking rebuild failed');
    process.exit(1);
  },
);
