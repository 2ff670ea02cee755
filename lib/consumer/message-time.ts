/**
 * When a message was first produced, as far as its body says. Legacy producers stamped
 * `source_enqueued_time` (unix seconds); older ones only carry `date`, either unix seconds or
 * a `YYYY-MM-DD HH:MM:SS` UTC text. Both numbers may travel as strings.
 */
import { isJsonObject } from '../json-object';

/** Earliest and latest instants a MariaDB DATETIME holds; outside them a timestamp is nonsense. */
const MIN_MS = Date.UTC(1000, 0, 1);
const MAX_MS = Date.UTC(9999, 11, 31, 23, 59, 59);

/** Reads one timestamp field as unix milliseconds; null when absent or unreadable. */
export function parseTimestamp(value: unknown): number | null {
  let ms: number | null = null;
  if (typeof value === 'number') {
    ms = value * 1000;
  } else if (typeof value === 'string' && value.trim() !== '') {
    const text = value.trim();
    if (/^\d+(\.\d+)?$/.test(text)) {
      ms = Number(text) * 1000;
    } else if (/^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:?\d{2})?$/.test(text)) {
      const iso = text.replace(' ', 'T');
      ms = Date.parse(/(Z|[+-]\d{2}:?\d{2})$/.test(iso) ? iso : `${iso}Z`);
    }
  }
  if (ms === null || !Number.isFinite(ms) || ms < MIN_MS || ms > MAX_MS) return null;
  return Math.floor(ms);
}

/** The message's production time (unix ms): `source_enqueued_time`, else `date`, else null. */
export function messageTimestamp(body: unknown): number | null {
  if (!isJsonObject(body)) return null;
  return parseTimestamp(body.source_enqueued_time) ?? parseTimestamp(body.date);
}
