/** The `damaged` store on the runtime's database pool. */
import { createDamagedStore, type DamagedStore } from '../../consumer/damaged-store';
import type { ClientSpec } from '../client';
import { dbClient } from './database';

export const damagedStoreClient: ClientSpec<DamagedStore> = {
  name: 'damaged store',
  open: ({ use }) => createDamagedStore(use(dbClient)),
};
