/**
 * The handler's MariaDB pool (DATABASE_URL), connecting on its first query. A job names the
 * view it uses: the Drizzle database (`dbClient`) or the mysql2 pool (`poolClient`); both are
 * the one pool of `databaseClient`, which closes it.
 */
import type { Pool } from 'mysql2/promise';
import { coreConfig } from '../../config';
import { openDatabase, type Database, type Db } from '../../db/client';
import type { ClientSpec } from '../client';

export const databaseClient: ClientSpec<Database> = {
  name: 'database',
  open: () => openDatabase(coreConfig().DATABASE_URL),
  close: (database) => database.close(),
};

export const dbClient: ClientSpec<Db> = { name: 'database (drizzle)', open: ({ use }) => use(databaseClient).db };

export const poolClient: ClientSpec<Pool> = { name: 'database (pool)', open: ({ use }) => use(databaseClient).pool };
