/**
 * One rectifier run per gateway at a time, across functions and Lambdas: before walking a gateway
 * a run takes its lease in `rectifier_leases` (one statement: taken when free, expired, or already
 * ours), and gives it back afterwards. A run that cannot take it skips the gateway: the holder
 * walks the same rows, oldest first.
 */
import { randomUUID } from 'node:crypto';
import { and, eq, sql } from 'drizzle-orm';
import type { Db } from '../db/client';
import { rectifierLeases } from '../db/schema';

export class GatewayLeases {
  /** This run's identity as a holder. */
  readonly holder = randomUUID();

  constructor(private readonly db: Db) {}

  /** Takes the gateway's lease until `until` when it is free, expired or ours; true when taken. */
  async take(gateway: string, now: Date, until: Date): Promise<boolean> {
    // MariaDB applies the assignments left to right: `expires_at` sees the holder just decided.
    await this.db
      .insert(rectifierLeases)
      .values({ gateway, holder: this.holder, expiresAt: until })
      .onDuplicateKeyUpdate({
        set: {
          holder: sql`IF(${rectifierLeases.expiresAt} < ${now} OR ${rectifierLeases.holder} = VALUES(${rectifierLeases.holder}), VALUES(${rectifierLeases.holder}), ${rectifierLeases.holder})`,
          expiresAt: sql`IF(${rectifierLeases.holder} = VALUES(${rectifierLeases.holder}), VALUES(${rectifierLeases.expiresAt}), ${rectifierLeases.expiresAt})`,
        },
      });
    const rows = await this.db.select({ holder: rectifierLeases.holder }).from(rectifierLeases).where(eq(rectifierLeases.gateway, gateway)).limit(1);
    return rows[0]?.holder === this.holder;
  }

  /** Gives the gateway back (only when this run still holds it). */
  async release(gateway: string): Promise<void> {
    await this.db.delete(rectifierLeases).where(and(eq(rectifierLeases.gateway, gateway), eq(rectifierLeases.holder, this.holder)));
  }
}
