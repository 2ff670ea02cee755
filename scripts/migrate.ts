/** `npm run migrate`: creates the configured database if needed and applies every migration. */
import { coreConfig } from '../lib/config';
import { migrateDatabase } from '../lib/db/client';
import { log } from '../lib/log';

async function main(): Promise<void> {
  const { DATABASE_URL } = coreConfig();
  await migrateDatabase(DATABASE_URL);
  log.info({ database: new URL(DATABASE_URL).pathname.slice(1) }, 'migrations applied');
}

main().catch((error) => {
  log.fatal({ err: error }, 'migration failed');
  process.exit(1);
});
