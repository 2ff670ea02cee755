/**
 * The rectifier as the console shows it: what its last runs did per gateway (the run history,
 * lib/rectifier/run-history.ts: outcomes and the processor's statuses) and a run triggered for one
 * gateway now. A trigger is the same message consume-pending pushes (lib/pending/rectify-trigger.ts),
 * due at once, so the run is consume-rectify's, under its gateway lease and limits: the console
 * never talks to a processor itself.
 */
import type { Db } from '../db/client';
import { pushTriggers, type RectifyTrigger } from '../pending/rectify-trigger';
import type { QueueBackend } from '../queue/types';
import { lastGatewayRuns, type GatewayRunRecord } from '../rectifier/run-history';
import { recordAudit, type Actor } from './audit';
import { UnknownGatewayError } from './errors';

/** Where triggers go and which gateways the rectifier settles. */
export interface RectifyTarget {
  queue: string;
  gateways: string[];
}

/** Runs shown per gateway: enough to see a trend, few enough for one page. */
export const RUNS_SHOWN_PER_GATEWAY = 10;

/** The newest runs of every gateway, newest first. */
export function recentRectifierRuns(db: Db, limit = RUNS_SHOWN_PER_GATEWAY): Promise<GatewayRunRecord[]> {
  return lastGatewayRuns(db, { limit });
}

/** Queues a trigger due now for `gateway` (one the rectifier settles); audited. */
export async function triggerRectify(
  deps: { backend: QueueBackend; db: Db },
  actor: Actor,
  target: RectifyTarget,
  gateway: string,
  now: Date = new Date(),
): Promise<RectifyTrigger & { queue: string }> {
  if (!target.gateways.includes(gateway)) {
    throw new UnknownGatewayError(`the rectifier settles no gateway named ${JSON.stringify(gateway.slice(0, 100))} (it settles: ${target.gateways.join(', ') || 'none'})`);
  }
  const trigger: RectifyTrigger = { gateway, due: Math.floor(now.getTime() / 1000) };
  await pushTriggers(deps.backend, target.queue, [trigger], now);
  await recordAudit(deps.db, actor, { action: 'pending.trigger-rectify', target: `gateway:${gateway}`, after: { queue: target.queue, due: trigger.due } }, now);
  return { ...trigger, queue: target.queue };
}
