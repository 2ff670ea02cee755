/** The `damaged` store, in the pending capability's database (where the legacy deployment kept it). */
import { createDamagedStore, type DamagedStore } from '../../consumer/damaged-store';
import type { ClientSpec } from '../client';
import { pendingDbClient } from './database';

export const damagedStoreClient: ClientSpec<DamagedStore> = {
  name: 'damaged store',
  open: ({ use }) => createDamagedStore(use(pendingDbClient)),
};
