/**
 * What one rectifier run did at one gateway: the summary it logs, returns and appends to the run
 * history (run-history.ts), apart from the rectifier that fills it, so that the history (and the
 * console, through it) reads it without importing the rectifier.
 */
import type { StoppedBecause } from '../consumer/run-budget';
import type { PaymentStatus } from './processor-adapter';

/** What became of one attempted row. */
export type OrphanOutcome =
  | 'completed'
  | 'approved'
  | 'finished'
  | 'cancelled'
  | 'already-imported'
  | 'left-pending'
  | 'refunded'
  | 'discarded'
  | 'damaged'
  | 'retry-scheduled'
  /** The antifraud check wanted a person (payments-init `validation_action` not `process`): nothing approved or captured. */
  | 'held-for-review'
  /** The order was settled (lib/pending/complete-order.ts) after a row of it was stored: resolved without a processor call. */
  | 'settled';

/** One gateway's part of a run. */
export interface GatewayRun {
  /** Orders attempted: one processor conversation and at most one donation each. */
  attempted: number;
  /** Pending rows those orders had, all deleted or marked resolved after the attempt. */
  rowsResolved: number;
  outcomes: Partial<Record<OrphanOutcome, number>>;
  /** What the processor said, per status, for the orders it was asked about. */
  processorStatuses: Partial<Record<PaymentStatus, number>>;
  /**
   * `processor-unavailable`: the gateway's processor was down; the run went on with the next gateway.
   * `held-elsewhere`: another run holds the gateway's lease (lib/rectifier/gateway-lease.ts) and walks it.
   */
  stoppedBecause: Extract<StoppedBecause, 'empty' | 'younger-row' | 'row-limit' | 'time-limit'> | 'processor-unavailable' | 'held-elsewhere';
}
