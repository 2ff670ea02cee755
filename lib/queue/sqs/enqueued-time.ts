/**
 * `source_enqueued_time` on SQS. The contract wants it from the queue server's clock, and SQS
 * cannot write into a body; what it does keep is each message's SentTimestamp. So producers do
 * not stamp it, and deliveries get it spliced in from SentTimestamp, the same way the Redis push
 * script splices in Redis TIME: a consumer sees the same body on both backends.
 */
import { spliceEnqueuedTime } from '../source-fields';

/**
 * Adds `source_enqueued_time` (the seconds of `enqueuedAtMs`) as the last member of a JSON
 * object body that does not have the field; any other body is returned unchanged.
 */
export function withEnqueuedTime(body: string, enqueuedAtMs: number): string {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return body;
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return body;
  if ('source_enqueued_time' in parsed) return body;
  const seconds = Math.floor(enqueuedAtMs / 1000);
  if (Object.keys(parsed).length === 0) return spliceEnqueuedTime('{}', seconds);
  return spliceEnqueuedTime(body.trimEnd(), seconds);
}
