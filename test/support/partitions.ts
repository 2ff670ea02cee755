/**
 * Helpers of the partitioned queue tests: messages of many keys interleaved, a checker of per-key
 * order (and of one handler at a time per key), a poll for a condition, and consumer processes
 * of their own (partitioned-consumer-child.ts) to SIGKILL.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import type { PartitionSpec } from '../../lib/queue/partitions';

const CHILD_SOURCE = join(__dirname, 'partitioned-consumer-child.ts');

export interface ConsumerChildOptions {
  redisUrl: string;
  spec: PartitionSpec;
  consumerId: string;
  /** The Redis list each processed message is recorded on (`key:n:consumerId`). */
  processed: string;
  leaseMs: number;
  workMs: number;
}

/**
 * Starts a PartitionedConsumer in a process of its own; resolves with it once it has joined the
 * group. An exit other than by SIGKILL (the tests' own) rejects, with what it printed.
 */
export function startConsumerChild(options: ConsumerChildOptions): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['-r', 'tsx/cjs', CHILD_SOURCE], {
    env: {
      ...process.env,
      REDIS_URL: options.redisUrl,
      QUEUE: options.spec.queue,
      PARTITIONS: String(options.spec.partitions),
      PROCESSED_KEY: options.processed,
      CONSUMER_ID: options.consumerId,
      LEASE_MS: String(options.leaseMs),
      WORK_MS: String(options.workMs),
      LOG_LEVEL: 'error',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return new Promise((resolve, reject) => {
    const output: string[] = [];
    child.stderr!.on('data', (chunk: Buffer) => output.push(chunk.toString()));
    child.stdout!.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes('ready')) resolve(child);
    });
    child.on('exit', (code, signal) => {
      if (signal !== 'SIGKILL') reject(new Error(`consumer ${options.consumerId} exited with ${code}: ${output.join('').slice(0, 2000)}`));
    });
  });
}

/** `perKey` messages for each of `keys` keys, interleaved in a random key order, each key's n ascending from `from`. */
export function interleavedMessages(keys: number, perKey: number, from = 0): { key: string; n: number }[] {
  const next = Array.from({ length: keys }, () => from);
  const out: { key: string; n: number }[] = [];
  while (out.length < keys * perKey) {
    const k = Math.floor(Math.random() * keys);
    if (next[k]! >= from + perKey) continue;
    out.push({ key: `key-${k}`, n: next[k]! });
    next[k]! += 1;
  }
  return out;
}

/**
 * Records handler starts and ends: a start of n for a key whose earlier messages are not all done,
 * or a start while another message of the key is running, is a violation.
 */
export class OrderChecker {
  readonly violations: string[] = [];
  failures = 0;
  private readonly done = new Map<string, Set<number>>();
  private readonly running = new Set<string>();
  private total = 0;
  /** The most handlers that ran at once. */
  mostRunning = 0;

  start(key: string, n: number): void {
    if (this.running.has(key)) this.violations.push(`${key}:${n} started while another message of ${key} ran`);
    this.running.add(key);
    this.mostRunning = Math.max(this.mostRunning, this.running.size);
    const done = this.done.get(key) ?? new Set<number>();
    for (let m = 0; m < n; m += 1) {
      if (!done.has(m)) {
        this.violations.push(`${key}:${n} started before ${key}:${m} was done`);
        break;
      }
    }
  }

  finish(key: string, n: number, ok: boolean): void {
    this.running.delete(key);
    if (!ok) {
      this.failures += 1;
      return;
    }
    const done = this.done.get(key) ?? new Set<number>();
    if (!done.has(n)) this.total += 1;
    done.add(n);
    this.done.set(key, done);
  }

  /** Distinct messages done at least once. */
  completed(): number {
    return this.total;
  }
}

/** Polls `condition` every 50 ms until it holds; throws after `timeoutMs`. */
export async function waitUntil(condition: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
