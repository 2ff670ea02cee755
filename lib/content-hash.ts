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
  const content: Record<string, unknown> = {};
  for (const key of Object.keys(parsed).sort()) {
    if (!key.startsWith('source_') && !ignore.includes(key)) content[key] = parsed[key];
  }
  return createHash('sha256').update(canonicalJson(content)).digest('hex');
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const object = value as Record<string, unknown>;
    return `{${Object.keys(object)
      .sort()
      .filter((key) => object[key] !== undefined)
      .map((key) => `${JSON.stringify(key)}:${canonicalJson(object[key])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value);
}
