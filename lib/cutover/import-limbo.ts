/**
 * Importers of the legacy pending channels into the one `pending` queue (docs/architecture.md
 * §13): the Redis `*-cc-limbo` sorted sets (one per gateway, the message as member, its date as
 * score), the memcached limbo keys and the in-flight directory of JSON files. Each reads its
 * channel whole, moves it through `moveBatch` (normalised, idempotent, unreadable → damaged) and
 * leaves the channel as it was: the legacy system keeps its copy until the cutover is final, so
 * a rollback loses nothing, and a re-run stores nothing twice.
 */
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import type Redis from 'ioredis';
import { LegacyChannelUnavailableError } from './errors';
import type { LegacyMemcached } from './legacy-memcached';
import { moveBatch, type CutoverChannel, type LegacyItem, type MoverDeps } from './mover';
import { RunTally, type ChannelReport } from './report';

export interface ImportOptions {
  batchSize: number;
  dryRun?: boolean;
}

/** Moves items page by page and reports; every item the channel holds is at the source still. */
async function importItems(deps: MoverDeps, channel: CutoverChannel, pages: AsyncIterable<LegacyItem[]>, options: ImportOptions): Promise<ChannelReport> {
  const tally = new RunTally();
  const hashes: string[] = [];
  for await (const page of pages) {
    for (let i = 0; i < page.length; i += options.batchSize) {
      const batch = await moveBatch(deps, channel, page.slice(i, i + options.batchSize), options.dryRun);
      tally.add(batch);
      hashes.push(...batch.hashes);
    }
  }
  return tally.report(deps.ledger, channel, options.dryRun ?? false, { count: hashes.length, hashes });
}

/** The gateway a limbo set belongs to: its key without `-cc-limbo` and without any `prefix:`. */
export function limboGateway(key: string): string {
  return key.replace(/-cc-limbo$/, '').replace(/^.*:/, '');
}

async function* limboPages(redis: Redis, pattern: string, pageSize: number): AsyncIterable<LegacyItem[]> {
  let cursor = '0';
  const keys = new Set<string>();
  do {
    const [next, found] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000, 'TYPE', 'zset');
    for (const key of found) keys.add(key);
    cursor = next;
  } while (cursor !== '0');
  for (const key of [...keys].sort()) {
    const gateway = limboGateway(key);
    for (let start = 0; ; start += pageSize) {
      const flat = await redis.zrange(key, start, start + pageSize - 1, 'WITHSCORES');
      if (flat.length === 0) break;
      const page: LegacyItem[] = [];
      for (let i = 0; i < flat.length; i += 2) {
        // The score is the legacy date (unix seconds): it fills a message that lacks its own.
        page.push({ raw: flat[i]!, fill: { date: Number(flat[i + 1]), gateway }, context: { source: `redis:${key}`, score: flat[i + 1]! } });
      }
      yield page;
      if (flat.length < pageSize * 2) break;
    }
  }
}

/** Imports every limbo sorted set matching `pattern` in the legacy Redis. */
export async function importRedisLimbo(deps: MoverDeps, channel: CutoverChannel, legacyRedis: Redis, pattern: string, options: ImportOptions): Promise<ChannelReport> {
  return importItems(deps, channel, limboPages(legacyRedis, pattern, options.batchSize), options);
}

async function* memcachedPages(memcached: LegacyMemcached, prefix: string, pageSize: number): AsyncIterable<LegacyItem[]> {
  const keys = (await memcached.keys(prefix)).sort();
  for (let i = 0; i < keys.length; i += pageSize) {
    const slice = keys.slice(i, i + pageSize);
    const values = await Promise.all(slice.map((key) => memcached.get(key)));
    const page: LegacyItem[] = [];
    // A key that expired between the listing and the read is no longer at the source.
    slice.forEach((key, j) => {
      if (values[j] !== null) page.push({ raw: values[j]!, context: { source: `memcached:${key}` } });
    });
    yield page;
  }
}

/** Imports every memcached limbo key starting with `prefix`. */
export async function importMemcachedLimbo(deps: MoverDeps, channel: CutoverChannel, memcached: LegacyMemcached, prefix: string, options: ImportOptions): Promise<ChannelReport> {
  return importItems(deps, channel, memcachedPages(memcached, prefix, options.batchSize), options);
}

async function* directoryPages(dir: string, pageSize: number): AsyncIterable<LegacyItem[]> {
  let names: string[];
  try {
    names = (await readdir(dir)).filter((name) => name.endsWith('.json')).sort();
  } catch (error) {
    throw new LegacyChannelUnavailableError(`in-flight directory cannot be read: ${(error as NodeJS.ErrnoException).code ?? 'error'}`, { cause: error });
  }
  for (let i = 0; i < names.length; i += pageSize) {
    const slice = names.slice(i, i + pageSize);
    const texts = await Promise.all(slice.map((name) => readFile(path.join(dir, name), 'utf8')));
    yield slice.map((name, j) => ({ raw: texts[j]!, context: { source: `file:${name}` } }));
  }
}

/** Imports every `*.json` file of the legacy in-flight directory. */
export async function importInflightDirectory(deps: MoverDeps, channel: CutoverChannel, dir: string, options: ImportOptions): Promise<ChannelReport> {
  return importItems(deps, channel, directoryPages(dir, options.batchSize), options);
}
