/**
 * `npm run tracking:seed-ids`: raises the Redis contribution tracking id sequence above the
 * highest id in the database, so producers can allocate ids before the first consumer run.
 * The consumer does the same at the start of every run; running it twice is harmless.
 */
import { capabilityDatabaseUrl, coreConfig } from '../lib/config';
import { openDatabase } from '../lib/db/client';
import { log } from '../lib/log';
import { trackingConfig } from '../lib/tracking/config';
import { seedTrackingIdSequenceFromDatabase } from '../lib/tracking/id-sequence-seed';
import { openTrackingRedis } from '../lib/tracking/redis-client';

async function main(): Promise<void> {
  const core = coreConfig();
  const database = openDatabase(capabilityDatabaseUrl(core, 'tracking'), { connectionLimit: 1 });
  const redis = openTrackingRedis(core.REDIS_URL);
  try {
    const value = await seedTrackingIdSequenceFromDatabase(redis, database.pool, trackingConfig().TRACKING_ID_SEQUENCE_KEY);
    log.info({ sequence: value }, 'contribution tracking id sequence seeded');
  } finally {
    redis.disconnect();
    await database.close();
  }
}

main().catch((error) => {
  log.fatal({ err: error }, 'seeding the contribution tracking id sequence failed');
  process.exit(1);
});
