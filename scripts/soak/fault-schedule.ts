/**
 * When the soak's faults happen: a pure function of the run length and the seed, so that a
 * failing run can be repeated fault for fault. Every kind fires once in each minute of traffic,
 * at a seeded moment inside it (never in the first or last five seconds of the minute, so that
 * a fault's effect shows before the next minute's), which gives `minutes` faults of each kind.
 */
import { random } from '../traffic/impression-events';

export const FAULT_KINDS = ['kill-consumer', 'restart-redis', 'stop-mariadb', 'kill-loader', 'cut-connections', 'slow-processors'] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

export interface ScheduledFault {
  /** Milliseconds after the traffic started. */
  atMs: number;
  kind: FaultKind;
  /** A seeded draw in [0, 1): which process to kill, how long to stay down. */
  draw: number;
}

const EDGE_MS = 5000;

/** The faults of a run of `minutes` with `seed`, in time order. */
export function faultSchedule(minutes: number, seed: number): ScheduledFault[] {
  const next = random(seed);
  const faults: ScheduledFault[] = [];
  for (let minute = 0; minute < minutes; minute++) {
    for (const kind of FAULT_KINDS) {
      faults.push({ atMs: minute * 60_000 + EDGE_MS + Math.floor(next() * (60_000 - 2 * EDGE_MS)), kind, draw: next() });
    }
  }
  return faults.sort((a, b) => a.atMs - b.atMs);
}
