/**
 * Helpers of the partitioned queue tests: messages of many keys interleaved, a checker of per-key
 * order (and of one handler at a time per key), and a poll for a condition.
 */

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

  start(key: string, n: number): void {
    if (this.running.has(key)) this.violations.push(`${key}:${n} started while another message of ${key} ran`);
    this.running.add(key);
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
