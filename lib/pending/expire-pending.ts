/**
 * Expiry: pending rows older than N days will never be settled by anyone; they are deleted
 * (or marked resolved), optionally for one gateway only, in bounded statements. The records of
 * settled orders (`pending_settled`) older than the same cutoff go too, every gateway's: no pending
 * message that old can still arrive.
 */
import { withDatabase } from '../db/transaction';
import { RunBudget, type StoppedBecause } from '../consumer/run-budget';
import type { Db } from '../db/client';
import type { Logger } from '../log';
import { PendingStore, type ResolveMode } from './pending-store';
import { SettledOrdersStore } from './settled-orders-store';

export interface ExpirePendingOptions {
  days: number;
  gateway?: string;
  mode: ResolveMode;
  batchSize: number;
  /** Seconds; 0: no limit. Checked between statements. */
  timeLimitSeconds: number;
  /** Rows; 0: no limit. */
  rowLimit: number;
  now?: Date;
}

export interface ExpirePendingResult {
  expired: number;
  /** Records of settled orders deleted (lib/pending/settled-orders-store.ts). */
  settledExpired: number;
  cutoff: string;
  stoppedBecause: Extract<StoppedBecause, 'empty' | 'time-limit' | 'row-limit'>;
}

/** Expires rows dated before now − `days`; resolves with how many went and why the run stopped. */
export async function expirePending(db: Db, options: ExpirePendingOptions, logger?: Logger): Promise<ExpirePendingResult> {
  const store = new PendingStore(db);
  const now = options.now ?? new Date();
  const cutoff = new Date(now.getTime() - options.days * 86_400_000);
  const budget = new RunBudget({ count: options.rowLimit, countLimit: 'row-limit', timeMs: options.timeLimitSeconds * 1000 });
  let expired = 0;
  let stoppedBecause: ExpirePendingResult['stoppedBecause'] = 'empty';
  for (;;) {
    const limitReached = budget.exhausted(expired);
    if (limitReached) {
      stoppedBecause = limitReached;
      break;
    }
    const batchSize = budget.nextBatch(expired, options.batchSize);
    const changed = await store.expireOlderThan(cutoff, { gateway: options.gateway, mode: options.mode, batchSize });
    expired += changed;
    if (changed < batchSize) break;
  }
  const settled = new SettledOrdersStore(db);
  let settledExpired = 0;
  // Within the run's time only; what is left goes next time.
  while (stoppedBecause !== 'time-limit' && !budget.exhausted(0)) {
    const changed = await withDatabase('expire settled-order records', () => settled.expireOlderThan(cutoff, options.batchSize));
    settledExpired += changed;
    if (changed < options.batchSize) break;
  }
  const result = { expired, settledExpired, cutoff: cutoff.toISOString(), stoppedBecause };
  logger?.info({ ...result, gateway: options.gateway ?? null, mode: options.mode }, 'pending rows expired');
  return result;
}
