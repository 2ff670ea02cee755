/**
 * What each cutover channel has moved, across runs: the content hashes of the messages the
 * target holds and of those stored in `damaged`, in Redis sets (`<prefix>:{<channel>}:moved`,
 * `…:damaged`). A resumed or repeated run adds nothing twice, so the totals and the checksum
 * describe the channel, not the run (docs/architecture.md §13, Verification).
 */
import type Redis from 'ioredis';

export interface ChannelTotals {
  moved: number;
  damaged: number;
  /** XOR of the moved messages' content hashes: independent of order and of how many runs. */
  checksum: string;
}

/** The XOR of SHA-256 hex digests; 64 zeros for none. */
export function xorChecksum(hashes: Iterable<string>): string {
  const sum = Buffer.alloc(32);
  for (const hash of hashes) {
    const bytes = Buffer.from(hash, 'hex');
    for (let i = 0; i < 32; i += 1) sum[i]! ^= bytes[i]!;
  }
  return sum.toString('hex');
}

export class CutoverLedger {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {}

  private key(channel: string, kind: 'moved' | 'damaged'): string {
    return `${this.prefix}:{${channel}}:${kind}`;
  }

  /** Records hashes the target now holds. */
  async recordMoved(channel: string, hashes: string[]): Promise<void> {
    if (hashes.length > 0) await this.redis.sadd(this.key(channel, 'moved'), ...hashes);
  }

  /** Records hashes stored in `damaged`. */
  async recordDamaged(channel: string, hashes: string[]): Promise<void> {
    if (hashes.length > 0) await this.redis.sadd(this.key(channel, 'damaged'), ...hashes);
  }

  /** Of `hashes`, those neither moved nor damaged by any run of `channel`. */
  async unsettled(channel: string, hashes: string[]): Promise<string[]> {
    const out: string[] = [];
    for (let i = 0; i < hashes.length; i += 1000) {
      const slice = hashes.slice(i, i + 1000);
      const [moved, damaged] = await Promise.all([
        this.redis.smismember(this.key(channel, 'moved'), ...slice),
        this.redis.smismember(this.key(channel, 'damaged'), ...slice),
      ]);
      slice.forEach((hash, j) => {
        if (!moved[j] && !damaged[j]) out.push(hash);
      });
    }
    return out;
  }

  /** The channel's totals over every run. */
  async totals(channel: string): Promise<ChannelTotals> {
    const moved = new Set<string>();
    let cursor = '0';
    do {
      const [next, members] = await this.redis.sscan(this.key(channel, 'moved'), cursor, 'COUNT', 5000);
      for (const member of members) moved.add(member);
      cursor = next;
    } while (cursor !== '0');
    const damaged = await this.redis.scard(this.key(channel, 'damaged'));
    return { moved: moved.size, damaged, checksum: xorChecksum(moved) };
  }

  /** Forgets a channel (a rehearsal's ledger before the real evening). */
  async reset(channel: string): Promise<void> {
    await this.redis.del(this.key(channel, 'moved'), this.key(channel, 'damaged'));
  }
}
