/**
 * The CRM's side of the `donations` queue during the soak: leases what the rectifiers pushed and
 * counts, per order, the distinct messages (a redelivery to this reader, after a Redis restart
 * lost its ack, has the same delivery id and is not a second push) and the distinct payments
 * among them (gateway transaction ids), by which the CRM imports a payment once.
 */
import type { QueueBackend } from '../../lib/queue/types';
import type { OrderDonations } from './invariants';
import { orderKey } from './traffic';

export class DonationsReader {
  private readonly ids = new Map<string, Set<string>>();
  private readonly transactions = new Map<string, Set<string>>();
  private stopped = false;
  private loop?: Promise<void>;

  constructor(
    private readonly backend: QueueBackend,
    private readonly queue: string,
  ) {}

  start(): void {
    this.loop = (async () => {
      while (!this.stopped) {
        try {
          const result = await this.backend.popAtomicBatch(this.queue, 100, async (deliveries) => {
            for (const delivery of deliveries) {
              const body = JSON.parse(delivery.body) as { gateway?: unknown; order_id?: unknown; gateway_txn_id?: unknown };
              const key = orderKey(body.gateway, body.order_id);
              this.ids.set(key, (this.ids.get(key) ?? new Set()).add(delivery.id));
              this.transactions.set(key, (this.transactions.get(key) ?? new Set()).add(String(body.gateway_txn_id ?? delivery.id)));
            }
            return { failedIds: [] };
          });
          if (result.leased === 0) await this.backend.waitForMessage(this.queue, 500);
        } catch {
          // Redis is restarting: the lease runs out and the message comes again
          await new Promise((resolve) => setTimeout(resolve, 500));
        }
      }
    })();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.loop;
  }

  /** Donations per order. */
  counts(): Map<string, OrderDonations> {
    return new Map([...this.ids].map(([order, ids]) => [order, { pushes: ids.size, transactions: this.transactions.get(order)!.size }]));
  }
}
