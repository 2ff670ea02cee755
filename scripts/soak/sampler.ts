/**
 * What the soak samples while it runs, every `everyMs`: queue depths (straight from Redis, not
 * through the fault proxy), messages pushed and processed per second (the ledger and the
 * workers' delivery logs, read on from where the last sample stopped), and memory: Redis's
 * used_memory with the messages it holds (a new life at each restart, told apart by its run_id)
 * and each worker's RSS.
 */
import { queueStats } from '../../lib/queue/partitions';
import { existsSync, openSync, readSync, closeSync, fstatSync } from 'node:fs';
import type { Redis } from 'ioredis';
import type { QueueBackend } from '../../lib/queue/types';
import type { ChartSample } from './chart';
import type { MemorySample } from './invariants';
import type { Workers } from './workers';

/** The series of Redis's own memory (`used_memory`), beside one per worker function. */
export const REDIS_SERIES = 'redis';

export class Sampler {
  readonly samples: ChartSample[] = [];
  /** Memory samples per series, then per life (Redis run_id, or worker life). */
  readonly memory = new Map<string, Map<string, MemorySample[]>>();
  private readonly offsets = new Map<string, number>();
  private processed = 0;
  private last = { atMs: 0, pushed: 0, processed: 0 };
  private lastDepth: Record<string, number> = {};
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly deps: { backend: QueueBackend; redis: Redis; workers: Workers; queues: string[]; pushed: () => number; clock: () => number },
  ) {}

  start(everyMs: number): void {
    let busy = false;
    this.timer = setInterval(() => {
      if (busy) return;
      busy = true;
      void this.sample().finally(() => (busy = false));
    }, everyMs);
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** Lives of each series, for the memory check. */
  lives(): Map<string, MemorySample[][]> {
    return new Map([...this.memory].map(([series, lives]) => [series, [...lives.values()]]));
  }

  private async sample(): Promise<void> {
    const atMs = this.deps.clock();
    const depth: Record<string, number> = {};
    for (const queue of this.deps.queues) {
      try {
        const stats = await queueStats(this.deps.backend, queue);
        depth[queue] = stats.ready + stats.inFlight + stats.delayed;
      } catch {
        // Redis is restarting: the last figure stands
        depth[queue] = this.lastDepth[queue] ?? 0;
      }
    }
    this.lastDepth = depth;
    for (const life of this.deps.workers.lives) this.processed += this.readOn(life.deliveryLog);
    const pushed = this.deps.pushed();
    const seconds = Math.max(0.001, (atMs - this.last.atMs) / 1000);
    this.samples.push({ atMs, pushedPerSecond: Math.round((pushed - this.last.pushed) / seconds), processedPerSecond: Math.round((this.processed - this.last.processed) / seconds), depth });
    this.last = { atMs, pushed, processed: this.processed };

    try {
      const info = await this.deps.redis.info('memory');
      const server = await this.deps.redis.info('server');
      const used = /^used_memory:(\d+)/m.exec(info);
      const runId = /^run_id:(\w+)/m.exec(server);
      const held = Object.values(depth).reduce((sum, n) => sum + n, 0);
      if (used && runId) this.record(REDIS_SERIES, runId[1]!, { atMs, bytes: Number(used[1]), held });
    } catch {
      // Redis is restarting
    }
    for (const { life, bytes } of this.deps.workers.rss()) this.record(life.fn, String(life.life), { atMs, bytes });
  }

  private record(series: string, life: string, sample: MemorySample): void {
    const lives = this.memory.get(series) ?? new Map<string, MemorySample[]>();
    this.memory.set(series, lives);
    const samples = lives.get(life) ?? [];
    lives.set(life, samples);
    samples.push(sample);
  }

  /** Messages in the complete lines appended to `file` since the last read. */
  private readOn(file: string): number {
    if (!existsSync(file)) return 0;
    const fd = openSync(file, 'r');
    try {
      const from = this.offsets.get(file) ?? 0;
      const size = fstatSync(fd).size;
      if (size <= from) return 0;
      const buffer = Buffer.alloc(size - from);
      readSync(fd, buffer, 0, buffer.length, from);
      const text = buffer.toString('utf8');
      const end = text.lastIndexOf('\n') + 1;
      this.offsets.set(file, from + Buffer.byteLength(text.slice(0, end)));
      let n = 0;
      for (const line of text.slice(0, end).split('\n')) if (line) n += (JSON.parse(line) as { keys: string[] }).keys.length;
      return n;
    } finally {
      closeSync(fd);
    }
  }
}
