/**
 * Message identity by content: the SHA-256 of a message's canonical JSON (keys sorted at every
 * level) without the queue's `source_*` fields. A redelivery, or a producer's re-push that only
 * stamped new source fields, has the same identity, so stores keyed by it are idempotent.
 */
import { createHash } from 'node:crypto';

/**
 * The content hash (64 hex digits) that makes a store idempotent against redeliveries; keys in
 * `ignore` are left out too (a store's own bookkeeping, which is not part of the message).
 */
export function messageHash(parsed: Record<string, unknown>, ignore: readonly string[] = []): string {
  return createHash('sha256').update(canonicalObject(parsed, ignore, true)).digest('hex');
}

/**
 * Keys sorted, undefined values left out; at the top level also the source fields and `ignore`.
 * Built in one pass per object: stored keys depend on these exact bytes, and the consumers hash
 * every message (bench/pending.ts: the sorted, filtered and joined copies cost more than the rest
 * of a message's normalisation).
 */
function canonicalObject(object: Record<string, unknown>, ignore: readonly string[], top: boolean): string {
  const keys = Object.keys(object).sort();
  let text = '{';
  for (const key of keys) {
    const value = object[key];
    if (value === undefined) continue;
    if (top && (key.startsWith('source_') || ignore.includes(key))) continue;
    if (text.length > 1) text += ',';
    text += `${quotedKey(key)}${canonicalJson(value)}`;
  }
  return `${text}}`;
}

/** Messages of one kind repeat their keys: each key's JSON text (with its colon) is made once. */
const quotedKeys = new Map<string, string>();
const QUOTED_KEYS_KEPT = 10_000;

function quotedKey(key: string): string {
  let quoted = quotedKeys.get(key);
  if (quoted === undefined) {
    quoted = `${JSON.stringify(key)}:`;
    if (quotedKeys.size < QUOTED_KEYS_KEPT) quotedKeys.set(key, quoted);
  }
  return quoted;
}

function canonicalJson(value: unknown): string {
  if (typeof value !== 'object' || value === null) return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  return canonicalObject(value as Record<string, unknown>, [], false);
}
