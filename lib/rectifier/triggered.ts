/**
 * The rectifier, triggered: consumes the `rectify` queue's delayed triggers (lib/pending/rectify-trigger.ts)
 * and runs the rectifier for the gateways whose rows have just become old enough, so that an orphan
 * is settled minutes after it qualifies rather than at the next fixed run (which stays as the safety
 * net). A trigger not yet due (its delay was clamped to SQS's 15 minutes) is pushed again with what
 * remains; triggers of a gateway nobody rectifies are dropped.
 */
import type { BatchFailures, BatchMessage } from '../consumer/run-batch-consumer';
import type { Logger } from '../log';
import { parseTrigger, pushTriggers, type RectifyTrigger } from '../pending/rectify-trigger';
import { rectifyOrphans, RectifierStoppedError, type RectifierDeps, type RectifyOptions, type RectifyResult } from './orphan-rectifier';

export interface TriggeredOptions extends RectifyOptions {
  /** The queue triggers come from (and chained ones go back to). */
  triggerQueue: string;
}

/**
 * Handles one batch of triggers: chains those not yet due, then one rectifier run over every due
 * gateway of the batch. A processor outage is logged and the triggers acked (the fixed run comes
 * back to those rows); a database or queue outage fails the batch.
 */
export async function handleTriggers(
  deps: RectifierDeps & { logger: Logger },
  messages: BatchMessage[],
  options: TriggeredOptions,
): Promise<{ failures: BatchFailures; result: RectifyResult | null }> {
  const failures: BatchFailures = new Map();
  const now = options.now?.() ?? new Date();
  const due = new Set<string>();
  const later: RectifyTrigger[] = [];
  for (const { body, delivery } of messages) {
    try {
      const trigger = parseTrigger(body);
      if (!options.gateways.includes(trigger.gateway)) continue;
      if (trigger.due > now.getTime() / 1000) later.push(trigger);
      else due.add(trigger.gateway);
    } catch (error) {
      failures.set(delivery.id, error);
    }
  }
  await pushTriggers(deps.backend, options.triggerQueue, later, now);
  if (due.size === 0) return { failures, result: null };
  try {
    return { failures, result: await rectifyOrphans(deps, { ...options, gateways: options.gateways.filter((gateway) => due.has(gateway)) }) };
  } catch (error) {
    if (!(error instanceof RectifierStoppedError) || error.result === undefined) throw error;
    deps.logger.warn({ stopped: error.result.stoppedGateways.map(({ gateway }) => gateway) }, 'triggered rectification: processor unavailable, left to the scheduled run');
    return { failures, result: error.result };
  }
}
