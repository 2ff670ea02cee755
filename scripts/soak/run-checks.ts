/**
 * After the drain: reads what the stores hold and runs every invariant check (./invariants.ts)
 * against the traffic ledger, the workers' delivery logs, the faults and the memory samples.
 */
import type { Pool, RowDataPacket } from 'mysql2/promise';
import type { Db } from '../../lib/db/client';
import { createLogger } from '../../lib/log';
import { findStoredHashes } from '../../lib/tracking/event-log';
import { definedPartitionSpec } from '../../lib/queue/partitions';
import { rebuildTrackingSummary } from '../../lib/tracking/rebuild';
import { readBannerCells, readLandingPageRows } from '../traffic/impression-tables';
import { messageKey, readDeliveryLogs } from './delivery-log';
import type { FaultRecord } from './fault-driver';
import { checkCellsEqual, checkDamaged, checkMemoryFlat, checkOrders, checkProcessedAtLeastOnce, checkTracking, MEMORY_LIMITS, type InvariantResult, type MemorySample, type OrderDonations } from './invariants';
import { REDIS_SERIES } from './sampler';
import { landingKey, orderKey, type SoakQueues, type TrafficLedger } from './traffic';

export interface CheckInputs {
  pool: Pool;
  db: Db;
  queues: SoakQueues;
  ledger: TrafficLedger;
  deliveryLogs: string[];
  faults: readonly FaultRecord[];
  /** Donations pushed per order (the donations queue's reader). */
  donations: ReadonlyMap<string, OrderDonations>;
  /** Functions that rectify orders (their kills can repeat a donation push). */
  rectifiers: readonly string[];
  /** Gateways the rectifiers walk (one order of each may be between push and resolve). */
  rectifiedGateways: readonly string[];
  /** Memory samples per series ('redis', each function), per life of the process. */
  memory: ReadonlyMap<string, MemorySample[][]>;
  /** When the drain ended and the sampling stopped (ms since the traffic started). */
  endMs: number;
  /** The impressions loader's function, SIGKILLed by its own fault every minute. */
  loader: string;
}

/** Warm-up of the series whose lives are short: Redis restarted and the loader killed every minute. */
const SHORT_WARM_UP_MS = 30_000;

/** Every invariant, in the order the summary prints them. */
export async function runChecks(inputs: CheckInputs): Promise<InvariantResult[]> {
  const { pool, queues, ledger } = inputs;
  const results: InvariantResult[] = [];
  const processed = readDeliveryLogs(inputs.deliveryLogs);
  for (const queue of [queues.pending, queues.paymentsInit, queues.tracking]) {
    const inFlight = inputs.faults.reduce((sum, fault) => sum + (fault.inFlight[queue] ?? 0), 0);
    // A push retried after an error whose outcome was unknown may be stored twice: that copy is processed too.
    results.push(checkProcessedAtLeastOnce(queue, ledger.pushed.get(queue) ?? [], processed.get(queue) ?? new Map(), inFlight + ledger.retriedPushes));
  }

  results.push(checkCellsEqual('bannerimpressions', ledger.bannerCells, await readBannerCells(pool)));
  const landing = new Map<string, number>();
  for (const row of await readLandingPageRows(pool)) {
    const key = landingKey(row.utm_source!, row.country!);
    landing.set(key, (landing.get(key) ?? 0) + 1);
  }
  results.push(checkCellsEqual('landingpageimpression_raw', ledger.landingRows, landing));

  const tracking = (ledger.pushed.get(queues.tracking) ?? []).filter((key) => !key.startsWith('raw:') && !ledger.bad.some((bad) => bad.key === key));
  const inLog = new Set<string>();
  for (let i = 0; i < tracking.length; i += 1000) for (const hash of await findStoredHashes(inputs.db, tracking.slice(i, i + 1000))) inLog.add(hash);
  const rebuild = await rebuildTrackingSummary(pool, createLogger({ component: 'soak' }, { level: 'warn' }), { check: true, partitionSpec: definedPartitionSpec(queues.tracking) });
  results.push(checkTracking(tracking, inLog, rebuild));

  results.push(
    checkOrders(ledger.orders, {
      pendingRows: await countByOrder(pool, 'SELECT gateway, order_id AS orderId, COUNT(*) AS n FROM pending WHERE is_resolved = 0 GROUP BY gateway, order_id'),
      settled: await countByOrder(pool, 'SELECT gateway, order_id AS orderId, COUNT(*) AS n FROM pending_settled GROUP BY gateway, order_id'),
      donations: inputs.donations,
      repeatedPushesAllowed: rectifierInterruptions(inputs.faults, inputs.rectifiers) * inputs.rectifiers.length * inputs.rectifiedGateways.length,
    }),
  );

  const [damaged] = await pool.query<RowDataPacket[]>('SELECT original_queue AS queue, message, error FROM damaged ORDER BY id');
  results.push(checkDamaged(ledger.bad, (damaged as Array<{ queue: string; message: string; error: string | null }>).map((row) => ({ key: messageKey(row.message), queue: row.queue, raw: row.message, error: row.error }))));

  // The second half of the run, drain included: memory a process took for the load it had gives
  // it back once the load is gone, memory it leaked keeps (the 8-minute probe at 200/s saw
  // consume-pending at 230 MB in its last minute of traffic and at 102 MB after the drain).
  const window = { fromMs: inputs.endMs / 2, toMs: inputs.endMs };
  for (const [series, lives] of inputs.memory) {
    // Redis keeps its data across a restart (its append-only file): one series over its lives,
    // never warming up a heap. The loader is SIGKILLed every minute, and warms up within 30 s
    // (13 lives of the 30-minute run at 30/s); the other workers' heaps take two minutes.
    const judged = series === REDIS_SERIES ? [lives.flat()] : lives;
    const limits = series === REDIS_SERIES || series === inputs.loader ? { ...MEMORY_LIMITS, warmUpMs: SHORT_WARM_UP_MS } : MEMORY_LIMITS;
    results.push(checkMemoryFlat(series, judged, window, limits));
  }
  return results;
}

async function countByOrder(pool: Pool, sql: string): Promise<Map<string, number>> {
  const [rows] = await pool.query<RowDataPacket[]>(sql);
  return new Map((rows as Array<{ gateway: string; orderId: string; n: number }>).map((row) => [orderKey(row.gateway, row.orderId), Number(row.n)]));
}

/**
 * Faults that can stop a rectifier between pushing a donation and resolving the order's rows:
 * killing a rectifier, and taking away its database or Redis (a stop, a restart, a cut).
 */
function rectifierInterruptions(faults: readonly FaultRecord[], rectifiers: readonly string[]): number {
  return faults.filter((fault) => {
    if (fault.kind === 'kill-consumer') return rectifiers.some((fn) => fault.detail.startsWith(`SIGKILL ${fn} `));
    return fault.kind === 'stop-mariadb' || fault.kind === 'restart-redis' || fault.kind === 'cut-connections';
  }).length;
}
