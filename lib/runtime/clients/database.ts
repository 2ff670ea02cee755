/**
 * The handler's MariaDB pools, each connecting on its first query. `databaseClient` is the pool
 * of DATABASE_URL. Each capability's tables may live in a database of their own
 * (IMPRESSIONS_DATABASE_URL, PENDING_DATABASE_URL, TRACKING_DATABASE_URL, lib/config.ts): a
 * capability whose URL is DATABASE_URL's shares that one pool, so a process still opens one
 * pool in the usual one-database deployment. A job names the view it uses: the Drizzle database
 * (`…DbClient`) or the mysql2 pool (`…PoolClient`).
 */
import type { Pool } from 'mysql2/promise';
import { capabilityDatabaseUrl, coreConfig, type DatabaseCapability } from '../../config';
import { openDatabase, type Database, type Db } from '../../db/client';
import type { ClientSpec } from '../client';

export const databaseClient: ClientSpec<Database> = {
  name: 'database',
  open: () => openDatabase(coreConfig().DATABASE_URL),
  close: (database) => database.close(),
};

export const dbClient: ClientSpec<Db> = { name: 'database (drizzle)', open: ({ use }) => use(databaseClient).db };

export const poolClient: ClientSpec<Pool> = { name: 'database (pool)', open: ({ use }) => use(databaseClient).pool };

/** The pool of a capability's database: DATABASE_URL's own pool when the URLs are the same. */
function capabilityDatabaseClient(capability: DatabaseCapability): ClientSpec<Database> {
  return {
    name: `${capability} database`,
    open: ({ use }) => {
      const config = coreConfig();
      const url = capabilityDatabaseUrl(config, capability);
      if (url !== config.DATABASE_URL) return openDatabase(url);
      // The shared pool is closed by databaseClient's spec, not by this one.
      const shared = use(databaseClient);
      return { ...shared, close: async () => undefined };
    },
    close: (database) => database.close(),
  };
}

export const impressionsDatabaseClient = capabilityDatabaseClient('impressions');
export const pendingDatabaseClient = capabilityDatabaseClient('pending');
export const trackingDatabaseClient = capabilityDatabaseClient('tracking');

/** `pending`, `payments_initial` and `damaged` (the legacy deployment kept damaged beside pending). */
export const pendingDbClient: ClientSpec<Db> = { name: 'pending database (drizzle)', open: ({ use }) => use(pendingDatabaseClient).db };

/** `contribution_tracking` and its event log, for jobs of other capabilities that read them (the rectifier). */
export const trackingDbClient: ClientSpec<Db> = { name: 'tracking database (drizzle)', open: ({ use }) => use(trackingDatabaseClient).db };

export const trackingPoolClient: ClientSpec<Pool> = { name: 'tracking database (pool)', open: ({ use }) => use(trackingDatabaseClient).pool };
