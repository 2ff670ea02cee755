/**
 * What the local run looks at while it waits and when it summarises: queue stats, rows per
 * table, the impressions loader's lag per topic, damaged rows, orphans not yet settled, and the
 * pending rows and settlement of the orders the run made.
 */
import { queueStats as statsByName } from '../../lib/queue/partitions';
import type { Admin } from 'kafkajs';
import type { Pool, RowDataPacket } from 'mysql2/promise';
import type { QueueBackend, QueueStats } from '../../lib/queue/types';
import { orderKeyOf, type ObservedOrder, type OrderRef } from './summary';

/** Exact row counts of every table of the run's database (the migrations journal excepted). */
export async function tableRows(pool: Pool): Promise<Array<{ table: string; rows: number }>> {
  const [tables] = await pool.query<RowDataPacket[]>(
    "SELECT table_name AS name FROM information_schema.tables WHERE table_schema = DATABASE() AND table_type = 'BASE TABLE' AND table_name <> '__drizzle_migrations' ORDER BY table_name",
  );
  const out: Array<{ table: string; rows: number }> = [];
  for (const { name } of tables as Array<{ name: string }>) {
    const [[row]] = (await pool.query(`SELECT COUNT(*) AS count FROM \`${name.replace(/`/g, '')}\``)) as unknown as [[{ count: number }]];
    out.push({ table: name, rows: Number(row?.count ?? 0) });
  }
  return out;
}

/** Everything a queue still holds: ready, in flight, delayed and dead. */
export function waiting(stats: QueueStats): number {
  return stats.ready + stats.inFlight + stats.delayed + stats.dead;
}

export async function queueStats(backend: QueueBackend, queues: string[]): Promise<Record<string, QueueStats>> {
  const out: Record<string, QueueStats> = {};
  // By name: a partitioned queue's figures are its partitions' (lib/queue/partitions, queueStats).
  for (const queue of queues) out[queue] = await statsByName(backend, queue);
  return out;
}

/**
 * Events of each topic the loader's consumer group has not applied yet: the partitions' high
 * watermarks minus the next offsets stored with the counts (the loader's authoritative position).
 */
export async function impressionsLag(admin: Admin, pool: Pool, group: string, topics: string[]): Promise<Record<string, { lag: number; loaded: number }>> {
  const [rows] = await pool.query<RowDataPacket[]>(
    'SELECT topic, kafka_partition AS p, next_offset AS next, counted_events + ignored_events + invalid_events AS loaded FROM impressions_kafka_offsets WHERE consumer_group = ?',
    [group],
  );
  const stored = new Map((rows as Array<{ topic: string; p: number; next: number | null; loaded: number }>).map((r) => [`${r.topic}:${r.p}`, r]));
  const out: Record<string, { lag: number; loaded: number }> = {};
  for (const topic of topics) {
    let lag = 0;
    let loaded = 0;
    for (const { partition, high, low } of await admin.fetchTopicOffsets(topic)) {
      const row = stored.get(`${topic}:${partition}`);
      lag += Math.max(0, Number(high) - (row?.next ?? Number(low)));
      loaded += Number(row?.loaded ?? 0);
    }
    out[topic] = { lag, loaded };
  }
  return out;
}

/**
 * Rows in `damaged` per original queue, how many of them are due for a retry now, and how many
 * wait for one at all (the run's retry delay is seconds: those are part of what must drain).
 */
export async function damagedState(pool: Pool): Promise<{ byQueue: Record<string, number>; due: number; scheduled: number }> {
  const [rows] = await pool.query<RowDataPacket[]>(
    'SELECT original_queue AS queue, COUNT(*) AS n, SUM(retry_date IS NOT NULL AND retry_date <= UTC_TIMESTAMP()) AS due, SUM(retry_date IS NOT NULL) AS scheduled FROM damaged GROUP BY original_queue ORDER BY original_queue',
  );
  const byQueue: Record<string, number> = {};
  let due = 0;
  let scheduled = 0;
  for (const row of rows as Array<{ queue: string; n: number; due: number | null; scheduled: number | null }>) {
    byQueue[row.queue] = Number(row.n);
    due += Number(row.due ?? 0);
    scheduled += Number(row.scheduled ?? 0);
  }
  return { byQueue, due, scheduled };
}

/** Per order (keyed by orderKeyOf): its unresolved pending rows and whether `pending_settled` records it. */
export async function observeOrders(pool: Pool, orders: readonly OrderRef[]): Promise<Map<string, ObservedOrder>> {
  const out = new Map<string, ObservedOrder>(orders.map((order) => [orderKeyOf(order), { unresolved: 0, settled: false }]));
  if (orders.length === 0) return out;
  const pairs = [...new Map(orders.map((order) => [orderKeyOf(order), [order.gateway, order.orderId]])).values()];
  const [rows] = await pool.query<RowDataPacket[]>(
    'SELECT gateway, order_id AS orderId, SUM(is_resolved IS NULL OR is_resolved = 0) AS unresolved FROM pending WHERE (gateway, order_id) IN (?) GROUP BY gateway, order_id',
    [pairs],
  );
  for (const row of rows as Array<{ gateway: string; orderId: string; unresolved: number | null }>) out.get(orderKeyOf(row))!.unresolved = Number(row.unresolved ?? 0);
  const [settled] = await pool.query<RowDataPacket[]>('SELECT gateway, order_id AS orderId FROM pending_settled WHERE (gateway, order_id) IN (?)', [pairs]);
  for (const row of settled as Array<{ gateway: string; orderId: string }>) {
    const entry = out.get(orderKeyOf(row));
    if (entry) entry.settled = true;
  }
  return out;
}

/** Unresolved pending rows of the rectified gateways older than the rectifier's minimum age. */
export async function unsettledOrphans(pool: Pool, gateways: string[], minAgeMinutes: number): Promise<number> {
  if (gateways.length === 0) return 0;
  const [[row]] = (await pool.query(
    'SELECT COUNT(*) AS n FROM pending WHERE gateway IN (?) AND date < UTC_TIMESTAMP() - INTERVAL ? MINUTE AND (is_resolved IS NULL OR is_resolved = 0)',
    [gateways, minAgeMinutes],
  )) as unknown as [[{ n: number }]];
  return Number(row?.n ?? 0);
}
