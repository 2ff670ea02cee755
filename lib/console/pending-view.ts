/**
 * What the console shows of the pending pipeline, read-only: unresolved rows per gateway by age
 * (so that a stuck gateway or a rectifier that stopped shows as a bulge in the old buckets), and
 * one order's rows beside its payments_initial outcome. Writing stays lib/pending's alone.
 */
import { and, asc, eq, sql } from 'drizzle-orm';
import type { Db } from '../db/client';
import { paymentsInitial, pending } from '../db/schema';
import { maskJson } from './mask';

/** Age buckets, youngest first; a row falls in the first whose bound it is younger than. */
export const PENDING_AGE_BUCKETS: ReadonlyArray<{ label: string; maxSeconds: number }> = [
  { label: '< 1 h', maxSeconds: 3600 },
  { label: '1–6 h', maxSeconds: 6 * 3600 },
  { label: '6–24 h', maxSeconds: 24 * 3600 },
  { label: '1–7 d', maxSeconds: 7 * 86400 },
  { label: '7–30 d', maxSeconds: 30 * 86400 },
  { label: '≥ 30 d', maxSeconds: Number.POSITIVE_INFINITY },
];

export interface PendingGatewayAges {
  gateway: string;
  total: number;
  /** Counts per PENDING_AGE_BUCKETS entry. */
  buckets: number[];
}

/** Unresolved pending rows per gateway, counted per age bucket (one grouped query). */
export async function pendingAges(db: Db, now: Date = new Date()): Promise<PendingGatewayAges[]> {
  const bounds = PENDING_AGE_BUCKETS.filter((b) => Number.isFinite(b.maxSeconds)).map((b) => new Date(now.getTime() - b.maxSeconds * 1000));
  // Bucket i counts rows newer than bound i and not newer than bound i-1.
  const columns = PENDING_AGE_BUCKETS.map((_, i) => {
    const newerThan = bounds[i];
    const olderThan = i === 0 ? undefined : bounds[i - 1];
    const parts = [newerThan ? sql`${pending.date} > ${newerThan}` : sql`1 = 1`, olderThan ? sql`${pending.date} <= ${olderThan}` : sql`1 = 1`];
    return sql<number>`SUM(CASE WHEN ${sql.join(parts, sql` AND `)} THEN 1 ELSE 0 END)`;
  });
  const rows = await db
    .select({ gateway: pending.gateway, total: sql<number>`COUNT(*)`, ...Object.fromEntries(columns.map((c, i) => [`b${i}`, c])) })
    .from(pending)
    .where(eq(pending.isResolved, false))
    .groupBy(pending.gateway)
    .orderBy(asc(pending.gateway));
  return rows.map((row) => {
    const record = row as Record<string, unknown>;
    return { gateway: String(record.gateway), total: Number(record.total), buckets: PENDING_AGE_BUCKETS.map((_, i) => Number(record[`b${i}`] ?? 0)) };
  });
}

export interface PendingOrder {
  rows: Array<{ id: number; date: Date; gatewayTxnId: string | null; paymentMethod: string | null; isResolved: boolean; message: unknown }>;
  /** The attempt's final outcome, when payments-init reported one. */
  outcome: Record<string, unknown> | null;
}

/** One order's pending rows (masked messages) and its payments_initial row. */
export async function pendingOrder(db: Db, gateway: string, orderId: string): Promise<PendingOrder> {
  const [rows, outcomes] = await Promise.all([
    db.select().from(pending).where(and(eq(pending.gateway, gateway), eq(pending.orderId, orderId))).orderBy(asc(pending.date), asc(pending.id)),
    db.select().from(paymentsInitial).where(and(eq(paymentsInitial.gateway, gateway), eq(paymentsInitial.orderId, orderId))).limit(1),
  ]);
  return {
    rows: rows.map((row) => ({ id: row.id, date: row.date, gatewayTxnId: row.gatewayTxnId, paymentMethod: row.paymentMethod, isResolved: row.isResolved, message: maskJson(row.message) })),
    outcome: outcomes[0] ? (maskJson(outcomes[0]) as Record<string, unknown>) : null,
  };
}
