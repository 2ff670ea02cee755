/** The cutover's ledger (lib/cutover/ledger.ts) on the runtime's Redis connection, under CUTOVER_LEDGER_PREFIX. */
import { cutoverConfig } from '../../cutover/config';
import { CutoverLedger } from '../../cutover/ledger';
import type { ClientSpec } from '../client';
import { redisClient } from './redis';

export const cutoverLedgerClient: ClientSpec<CutoverLedger> = {
  name: 'cutover ledger',
  open: ({ use }) => new CutoverLedger(use(redisClient), cutoverConfig().CUTOVER_LEDGER_PREFIX),
};
