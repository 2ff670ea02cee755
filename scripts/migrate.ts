/**
 * `npm run migrate`: creates each configured database if needed and applies every migration to
 * it: DATABASE_URL and each capability's own database (IMPRESSIONS_, PENDING_, TRACKING_DATABASE_URL)
 * when it has one. The migrations are one series, so every database gets every table; a
 * capability only ever uses its own, and its views refer to its own tables unqualified.
 */
import { coreConfig, databaseUrls } from '../lib/config';
import { migrateDatabase } from '../lib/db/client';
import { log } from '../lib/log';

async function main(): Promise<void> {
  for (const url of databaseUrls(coreConfig())) {
    await migrateDatabase(url);
    log.info({ database: new URL(url).pathname.slice(1) }, 'migrations applied');
  }
}

main().catch((error) => {
  log.fatal({ err: error }, 'migration failed');
  process.exit(1);
});
