/**
 * The soak's worker processes: one per function (./worker.ts), each a `node` process of its own
 * so that its pid is the one to SIGKILL and to read memory from. A killed worker is started
 * again (a new life, with its own delivery log); its output is appended to one log per function.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync } from 'node:fs';
import path from 'node:path';

const WORKER = path.join(__dirname, 'worker.ts');

export interface WorkerLife {
  fn: string;
  life: number;
  pid: number;
  deliveryLog: string;
  startedAtMs: number;
  endedAtMs?: number;
  /** How it ended: 'SIGKILL' by the fault driver, or the exit code. */
  ended?: string;
}

export class Workers {
  readonly lives: WorkerLife[] = [];
  private readonly children = new Map<string, ChildProcess>();
  private stopping = false;

  constructor(
    private readonly options: { functions: string[]; env: NodeJS.ProcessEnv; dir: string; clock: () => number },
  ) {}

  startAll(): void {
    for (const fn of this.options.functions) this.start(fn);
  }

  /** Resolves once every worker has loaded its code (its delivery log exists), or throws after `timeoutMs`. */
  async ready(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const waiting = this.options.functions.filter((fn) => {
        const life = this.current(fn);
        return !life || !existsSync(life.deliveryLog);
      });
      if (waiting.length === 0) return;
      if (Date.now() > deadline) throw new Error(`workers not ready after ${timeoutMs / 1000} s: ${waiting.join(', ')}`);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }

  /** The current life of `fn`. */
  current(fn: string): WorkerLife | undefined {
    return [...this.lives].reverse().find((life) => life.fn === fn && life.endedAtMs === undefined);
  }

  /** SIGKILLs `fn` and starts it again after `restartAfterMs`; resolves with the killed life. */
  async kill(fn: string, restartAfterMs: number): Promise<WorkerLife | undefined> {
    const child = this.children.get(fn);
    const life = this.current(fn);
    if (!child || !life) return undefined;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
    await new Promise((resolve) => setTimeout(resolve, restartAfterMs));
    if (!this.stopping) this.start(fn);
    return life;
  }

  /** Stops every worker (SIGKILL: they hold nothing once drained) and waits for them. */
  async stopAll(): Promise<void> {
    this.stopping = true;
    await Promise.all(
      [...this.children.values()].map((child) => {
        if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGKILL');
        return exited;
      }),
    );
  }

  /** Resident memory of each live worker (bytes), from /proc. */
  rss(): Array<{ life: WorkerLife; bytes: number }> {
    const out = [];
    for (const fn of this.options.functions) {
      const life = this.current(fn);
      if (!life) continue;
      try {
        const status = readFileSync(`/proc/${life.pid}/status`, 'utf8');
        const kb = /^VmRSS:\s+(\d+) kB/m.exec(status);
        if (kb) out.push({ life, bytes: Number(kb[1]) * 1024 });
      } catch {
        // the process just ended
      }
    }
    return out;
  }

  private start(fn: string): void {
    const life = this.lives.filter((l) => l.fn === fn).length + 1;
    const deliveryLog = path.join(this.options.dir, `deliveries-${fn}-${life}.jsonl`);
    const output = openSync(path.join(this.options.dir, `${fn}.log`), 'a');
    const child = spawn(process.execPath, ['--import', 'tsx', WORKER, fn], {
      env: { ...this.options.env, SOAK_DELIVERY_LOG: deliveryLog },
      stdio: ['ignore', output, output],
    });
    closeSync(output);
    const record: WorkerLife = { fn, life, pid: child.pid ?? -1, deliveryLog, startedAtMs: this.options.clock() };
    this.lives.push(record);
    this.children.set(fn, child);
    child.once('exit', (code, signal) => {
      record.endedAtMs = this.options.clock();
      record.ended = signal ?? `exit ${code}`;
      // A worker that died by itself (not killed by the driver) is started again too.
      if (!this.stopping && signal !== 'SIGKILL') setTimeout(() => !this.stopping && this.start(fn), 1000);
    });
  }
}
