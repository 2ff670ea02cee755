/** The soak's report: everything measured, as JSON, and the readable summary printed at the end. */
import type { FaultRecord } from './fault-driver';
import type { InvariantResult, MemorySample } from './invariants';
import type { ChartSample } from './chart';

export interface SoakReport {
  command: string;
  minutes: number;
  /** Requested messages per second per queue and per topic. */
  rate: number;
  seed: number;
  startedAt: string;
  trafficSeconds: number;
  /** Null when the run did not drain within its limit. */
  drainSeconds: number | null;
  pushed: Record<string, number>;
  produced: number;
  retriedPushes: number;
  /** Achieved messages per second per queue over the traffic (the machine may not keep up with `rate`). */
  achievedRate: Record<string, number>;
  faults: FaultRecord[];
  faultsByKind: Record<string, number>;
  invariants: InvariantResult[];
  problems: string[];
  samples: ChartSample[];
  /** Memory samples per series, one list per life of the process, as the memory check judged them. */
  memory: Record<string, MemorySample[][]>;
  ok: boolean;
}

/** The summary: the run's figures, one line per invariant with its figure, and what failed. */
export function formatSummary(report: SoakReport): string {
  const lines = [
    `Soak ${report.ok ? 'PASSED' : 'FAILED'}: ${report.command}`,
    `  traffic ${report.trafficSeconds} s at ${report.rate}/s per queue and topic (seed ${report.seed}); drained in ${report.drainSeconds === null ? 'NOT DRAINED' : `${report.drainSeconds} s`}`,
    `  pushed: ${Object.entries(report.pushed).map(([queue, n]) => `${queue} ${n} (${report.achievedRate[queue]}/s)`).join(', ')}; impression events produced ${report.produced}; pushes retried ${report.retriedPushes}`,
    `  faults: ${Object.entries(report.faultsByKind).map(([kind, n]) => `${kind} ${n}`).join(', ')}${report.faults.some((f) => f.error) ? ` (${report.faults.filter((f) => f.error).length} could not be carried out)` : ''}`,
    '  invariants:',
    ...report.invariants.map((inv) => `    ${inv.skipped ? 'skip' : inv.ok ? 'ok  ' : 'FAIL'} ${inv.name}: ${inv.figure}${inv.problems.length > 0 ? `\n${inv.problems.map((p) => `           - ${p}`).join('\n')}` : ''}`),
    ...(report.problems.length > 0 ? ['  problems:', ...report.problems.map((p) => `    - ${p}`)] : []),
  ];
  return lines.join('\n');
}
