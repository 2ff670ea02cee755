/**
 * CPU time used while one side of a benchmark runs: by this process (every thread, zlib's and
 * libuv's included) and by the local database server, read from /proc. A benchmark prints it
 * beside the side's window, so that a figure bound by the machine's cores rather than by the code
 * says so (bench/impressions.ts): a side whose CPU, over the cores, fills its window cannot go
 * faster on this machine whatever the code does.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { cpus } from 'node:os';

/** CPU milliseconds so far; `server` null when no local database server was found. */
export interface CpuSample {
  process: number;
  server: number | null;
}

// Linux reports /proc/<pid>/stat times in USER_HZ ticks, 100 a second on every architecture Node runs on.
const TICK_MS = 10;
const SERVER_COMMANDS = new Set(['mariadbd', 'mysqld']);

/** CPU used by the local MariaDB or MySQL server processes (utime + stime), or null when none runs here. */
function serverCpuMs(): number | null {
  let total: number | null = null;
  let pids: string[];
  try {
    pids = readdirSync('/proc').filter((name) => /^\d+$/.test(name));
  } catch {
    return null;
  }
  for (const pid of pids) {
    try {
      if (!SERVER_COMMANDS.has(readFileSync(`/proc/${pid}/comm`, 'utf8').trim())) continue;
      // Fields after the command name (which may hold spaces): utime and stime are the 12th and 13th.
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      total = (total ?? 0) + (Number(fields[11]) + Number(fields[12])) * TICK_MS;
    } catch {
      // the process ended meanwhile
    }
  }
  return total;
}

export function sampleCpu(): CpuSample {
  const usage = process.cpuUsage();
  return { process: (usage.user + usage.system) / 1000, server: serverCpuMs() };
}

/** CPU used since `start`. */
export function cpuSince(start: CpuSample): CpuSample {
  const now = sampleCpu();
  return { process: now.process - start.process, server: now.server === null || start.server === null ? null : now.server - start.server };
}

/**
 * "4,066 ms CPU here + 1,490 ms in the database server over the side's run, 78% of 2 cores for its
 * 3,555 ms window", for a round's line. The CPU is the whole run's (connecting and joining
 * included), so the share is an upper bound of what the window itself used.
 */
export function describeCpu(used: CpuSample, windowMs: number): string {
  const cores = cpus().length;
  const total = used.process + (used.server ?? 0);
  const server = used.server === null ? '' : ` + ${Math.round(used.server).toLocaleString('en')} ms in the database server`;
  return `${Math.round(used.process).toLocaleString('en')} ms CPU here${server} over the side's run, ${Math.round((total / Math.max(1, windowMs) / cores) * 100)}% of ${cores} cores for its ${Math.round(windowMs).toLocaleString('en')} ms window`;
}
