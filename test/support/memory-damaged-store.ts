/**
 * An in-memory DamagedStore for unit tests of the consumer runner: keeps the rows that
 * `damagedRowFor` builds, and can be switched to "unreachable".
 */
import { DamagedStoreUnavailableError, damagedRowFor, type DamagedEntry, type DamagedStore } from '../../lib/consumer/damaged-store';
import type { DamagedRow } from '../../lib/db/schema';

export class MemoryDamagedStore implements DamagedStore {
  readonly rows: DamagedRow[] = [];
  /** While true every call rejects as a down database would. */
  unavailable = false;
  private nextId = 1;

  private check(): void {
    if (this.unavailable) throw new DamagedStoreUnavailableError('insert into damaged failed (ECONNREFUSED)');
  }

  async reachable(): Promise<boolean> {
    return !this.unavailable;
  }

  async insert(entry: DamagedEntry, now = new Date()): Promise<void> {
    this.check();
    const row = damagedRowFor(entry, now);
    this.rows.push({
      id: this.nextId++,
      originalDate: row.originalDate,
      damagedDate: row.damagedDate,
      retryDate: row.retryDate ?? null,
      originalQueue: row.originalQueue,
      gateway: row.gateway ?? null,
      orderId: row.orderId ?? null,
      gatewayTxnId: row.gatewayTxnId ?? null,
      error: row.error ?? null,
      trace: row.trace ?? null,
      message: row.message,
    });
  }

  async listDueForRetry(now: Date, limit: number): Promise<DamagedRow[]> {
    this.check();
    return this.rows.filter((r) => r.retryDate && r.retryDate <= now).slice(0, limit);
  }

  async clearRetryDate(id: number): Promise<void> {
    this.check();
    const row = this.rows.find((r) => r.id === id);
    if (row) row.retryDate = null;
  }

  async deleteByIds(ids: number[]): Promise<number> {
    this.check();
    let deleted = 0;
    for (const id of ids) {
      const index = this.rows.findIndex((r) => r.id === id);
      if (index >= 0) {
        this.rows.splice(index, 1);
        deleted += 1;
      }
    }
    return deleted;
  }
}
