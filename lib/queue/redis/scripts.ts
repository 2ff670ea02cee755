/**
 * Runs the queue's Lua scripts by SHA, loading them again whenever Redis answers NOSCRIPT (after
 * SCRIPT FLUSH, a restart or a failover). Each call is independent, so concurrent calls that
 * ioredis pipelines on one connection recover the same way: every call that got NOSCRIPT is
 * re-sent as EVAL, in the order the replies came back.
 *
 * The sources come from `lua/index.ts`, generated from the `.lua` files (see
 * scripts/generate-lua-scripts.ts for why: it works under ts-jest, tsx and esbuild bundles alike,
 * with no loader configuration).
 */
import { createHash } from 'node:crypto';
import type { Cluster, Redis } from 'ioredis';
import { luaScripts, type LuaScriptName } from './lua';
import type { RateCounter } from './rate-counter';

interface LoadedScript {
  source: string;
  sha: string;
  numKeys: number;
}

const loaded = new Map<LuaScriptName, LoadedScript>();

function script(name: LuaScriptName): LoadedScript {
  let entry = loaded.get(name);
  if (!entry) {
    const numKeys = Number(name.slice(name.lastIndexOf('-') + 1));
    const source = luaScripts[name];
    entry = { source, numKeys, sha: createHash('sha1').update(source).digest('hex') };
    loaded.set(name, entry);
  }
  return entry;
}

/** Runs script `name` with exactly its declared number of keys (the file name's suffix). */
export async function runScript(redis: Redis | Cluster, name: LuaScriptName, keys: string[], args: (string | number)[]): Promise<unknown> {
  const { sha, source, numKeys } = script(name);
  if (keys.length !== numKeys) throw new Error(`script ${name} takes ${numKeys} keys, got ${keys.length}`);
  try {
    return await redis.evalsha(sha, numKeys, ...keys, ...args);
  } catch (error) {
    if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
    return redis.eval(source, numKeys, ...keys, ...args);
  }
}

/**
 * Runs a script of `queue` and counts what it stored or settled in `rates` (SCRIPT_RATES): the one
 * way the backend and the partition scripts run queue scripts, so every push and ack path counts.
 */
export async function runQueueScript(
  redis: Redis | Cluster,
  rates: RateCounter,
  queue: string,
  name: LuaScriptName,
  keys: string[],
  args: (string | number)[],
): Promise<unknown> {
  const reply = await runScript(redis, name, keys, args);
  rates.countScript(queue, name, args, reply);
  return reply;
}
