/**
 * Where a full benchmark run leaves its figures (bench/results/<name>.json), with the date and
 * the machine, so that the README's tables are generated from a run (scripts/bench-readme.ts),
 * never typed by hand.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import path from 'node:path';

export const RESULTS_DIR = path.join(__dirname, 'results');

/** The machine a run was measured on, as the README states it. */
export function machineDescription(): string {
  const cpu = cpus();
  return `${cpu.length} × ${cpu[0]?.model.trim() ?? 'unknown CPU'}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`;
}

/** The median of a benchmark's rounds (the figure it reports: one slow round on a shared machine moves it little). */
export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/** Writes one benchmark's result with the run's date and machine. */
export function writeBenchResult(name: string, result: object): void {
  mkdirSync(RESULTS_DIR, { recursive: true });
  const file = path.join(RESULTS_DIR, `${name}.json`);
  writeFileSync(file, `${JSON.stringify({ date: new Date().toISOString(), machine: machineDescription(), ...result }, null, 2)}\n`);
}

/** One pipeline benchmark's figure beside its same-run baseline, with the ratio the issue set as its target. */
export interface PipelineResult {
  benchmark: string;
  /** What was measured and how much of it per round, for the table. */
  size: string;
  rounds: number;
  unit: string;
  ours: number;
  baselineName: string;
  baseline: number;
  /** The ratio ours / baseline must reach. */
  ratioGoal: number;
}

/**
 * Writes a pipeline benchmark's result (a full run only); a benchmark with more than one figure
 * (bench/pending.ts) passes the others after the first, written under `more`; `npm run
 * bench:readme` renders them into the README's pipelines table.
 */
export function writePipelineResult(name: string, result: PipelineResult, ...more: PipelineResult[]): void {
  writeBenchResult(name, more.length > 0 ? { ...result, more } : result);
}
