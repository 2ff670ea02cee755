/**
 * A stand-in for the CRM side, which consumes the `donations` queue in production and is not
 * part of this project. It leases donations and acks them (counting them, per order), so that
 * the queue drains. A donation it cannot import (an amount that is not a number) crashes it: the lease is
 * given back without an ack, every time, until the queue dead-letters the message past its
 * maxReceiveCount; `collect-dead-letters` then moves it into `damaged`, as in production.
 */
import type { QueueBackend } from '../../lib/queue/types';
import type { RunTally } from './summary';

export interface CrmStandIn {
  /** Stops after the current lease is settled. */
  stop(): Promise<void>;
}

/** Starts the loop; it leases up to 100 donations every `intervalMs`. */
export function startCrmStandIn({ backend, queue, tally, intervalMs = 300 }: { backend: QueueBackend; queue: string; tally: RunTally; intervalMs?: number }): CrmStandIn {
  let stopped = false;
  let wake: (() => void) | undefined;
  const loop = (async () => {
    while (!stopped) {
      const deliveries = await backend.lease(queue, { max: 100 });
      const acks: string[] = [];
      let crashed = 0;
      for (const delivery of deliveries) {
        let donation: { gross?: unknown; gateway?: unknown; order_id?: unknown } = {};
        try {
          donation = JSON.parse(delivery.body) as typeof donation;
        } catch {
          // unreadable: treated as a crash too
        }
        if (Number.isFinite(Number(donation.gross ?? Number.NaN))) {
          acks.push(delivery.receipt);
          // Counted per order, so that the run sees a second donation of one order.
          if (typeof donation.gateway === 'string' && donation.order_id !== undefined) tally.donation(donation.gateway, String(donation.order_id));
        } else {
          crashed += 1;
          await backend.release(queue, delivery.receipt);
        }
      }
      if (acks.length > 0) await backend.ackBatch(queue, acks);
      if (deliveries.length > 0) tally.consumerRun(queue, { processed: acks.length, succeeded: acks.length });
      if (crashed > 0) tally.crmCrashes += crashed;
      if (deliveries.length === 0 || crashed === deliveries.length) {
        await new Promise<void>((resolve) => {
          wake = resolve;
          setTimeout(resolve, intervalMs);
        });
      }
    }
  })();
  return {
    async stop() {
      stopped = true;
      wake?.();
      await loop;
    },
  };
}
