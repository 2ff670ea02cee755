/**
 * Carries out the fault schedule (./fault-schedule.ts) against the running soak, and records
 * each fault with what it hit and the leases in flight per queue just before it, which bounds
 * the duplicates it can cause: only a fault can stop a consumer between processing and acking.
 */
import { setTimeout as delay } from 'node:timers/promises';
import type { FaultProxy } from '../stack/fault-proxy';
import type { PrivateRedisServer } from '../stack/redis-server';
import type { PrivateMariadb } from '../stack/mariadb';
import type { ProcessorSimulator } from '../processor-simulator';
import type { FaultKind, ScheduledFault } from './fault-schedule';
import type { Workers } from './workers';

export interface FaultRecord {
  atMs: number;
  kind: FaultKind;
  /** What was hit and how long it lasted. */
  detail: string;
  /** Leases in flight per queue just before the fault. */
  inFlight: Record<string, number>;
  /** Milliseconds until the fault was over (the service back, the process restarted). */
  tookMs: number;
  /** A fault that could not be carried out says why. */
  error?: string;
}

export interface FaultTargets {
  workers: Workers;
  /** Consumers and jobs the kill-consumer fault picks from. */
  consumers: string[];
  loader: string;
  redis: PrivateRedisServer;
  mariadb: PrivateMariadb;
  proxy: FaultProxy;
  simulator: ProcessorSimulator;
  /** Leases in flight per queue now (read straight from Redis, not through the proxy). */
  inFlight(): Promise<Record<string, number>>;
  /** Events produced but not yet loaded, when the loader is killed (to show it was mid-batch). */
  loaderLag(): Promise<number>;
  clock(): number;
}

const SLOW_FOR_MS = 20_000;

/** Runs the schedule until it ends or `signal` aborts; resolves with what was done. */
export async function driveFaults(schedule: readonly ScheduledFault[], targets: FaultTargets, signal: AbortSignal, onFault: (record: FaultRecord) => void = () => undefined): Promise<FaultRecord[]> {
  const records: FaultRecord[] = [];
  const slowed: Array<Promise<void>> = [];
  for (const fault of schedule) {
    const wait = fault.atMs - targets.clock();
    // Aborted: the wait ends at once, and the loop with it.
    if (wait > 0) await delay(wait, undefined, { signal }).catch(() => undefined);
    if (signal.aborted) break;
    const inFlight = await targets.inFlight().catch(() => ({}));
    const started = targets.clock();
    let detail = '';
    let error: string | undefined;
    try {
      detail = await inject(fault, targets, slowed);
    } catch (thrown) {
      error = (thrown as Error).message;
    }
    const record: FaultRecord = { atMs: started, kind: fault.kind, detail, inFlight, tookMs: targets.clock() - started, ...(error ? { error } : {}) };
    records.push(record);
    onFault(record);
  }
  await Promise.all(slowed);
  return records;
}

async function inject(fault: ScheduledFault, targets: FaultTargets, slowed: Array<Promise<void>>): Promise<string> {
  switch (fault.kind) {
    case 'kill-consumer': {
      const fn = targets.consumers[Math.floor(fault.draw * targets.consumers.length)]!;
      const life = await targets.workers.kill(fn, 500);
      return `SIGKILL ${fn} (life ${life?.life ?? '?'})`;
    }
    case 'kill-loader': {
      const lag = await targets.loaderLag().catch(() => -1);
      const life = await targets.workers.kill(targets.loader, 500);
      return `SIGKILL ${targets.loader} (life ${life?.life ?? '?'}) with ${lag} events not yet committed`;
    }
    case 'restart-redis': {
      const kill = fault.draw < 0.5;
      const downMs = 500 + Math.floor(fault.draw * 3000);
      await targets.redis.restart({ kill, downMs });
      return `${kill ? 'SIGKILL' : 'SHUTDOWN'}, down ${downMs} ms`;
    }
    case 'stop-mariadb': {
      const downMs = 1000 + Math.floor(fault.draw * 5000);
      await targets.mariadb.halt();
      await new Promise((resolve) => setTimeout(resolve, downMs));
      await targets.mariadb.resume();
      return `stopped, down ${downMs} ms`;
    }
    case 'cut-connections': {
      const open = targets.proxy.open;
      targets.proxy.cutAll();
      return `${open} Redis connections cut`;
    }
    case 'slow-processors': {
      const latencyMs = 1000 + Math.floor(fault.draw * 4000);
      targets.simulator.setLatency(latencyMs);
      slowed.push(
        new Promise<void>((resolve) =>
          setTimeout(() => {
            targets.simulator.setLatency(0);
            resolve();
          }, SLOW_FOR_MS),
        ),
      );
      return `every processor answer ${latencyMs} ms late for ${SLOW_FOR_MS / 1000} s`;
    }
  }
}
