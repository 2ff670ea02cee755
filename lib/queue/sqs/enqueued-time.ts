/**
 * `source_enqueued_time` on SQS. The contract wants it from the queue server's clock, and SQS
 * cannot write into a body; what it does keep is each message's SentTimestamp. So producers do
 * not stamp it, and deliveries get it spliced in from SentTimestamp, the same way the Redis push
 * script splices in Redis TIME: a consumer sees the same body on both backends.
 */
import { parseJsonObject } from '../../json-object';
import { spliceEnqueuedTime } from '../source-fields';
import type { Delivery } from '../types';

/**
 * Adds `source_enqueued_time` (the seconds of `enqueuedAtMs`) as the last member of a JSON
 * object body that does not have the field; any other body is returned unchanged.
 */
export function withEnqueuedTime(body: string, enqueuedAtMs: number): string {
  const parsed = parseJsonObject(body);
  if (!parsed.ok || 'source_enqueued_time' in parsed.value) return body;
  const seconds = Math.floor(enqueuedAtMs / 1000);
  if (Object.keys(parsed.value).length === 0) return spliceEnqueuedTime('{}', seconds);
  return spliceEnqueuedTime(body.trimEnd(), seconds);
}

/**
 * Message attribute that carries a redriven message's original enqueue time: SentTimestamp
 * restarts when a dead letter is sent back, and a message's age must not.
 */
export const ENQUEUED_AT_ATTRIBUTE = 'buffer_enqueued_at';

/** What SQS tells about one message, whether a lease received it or Lambda's event carries it. */
export interface SqsMessageFacts {
  id: string;
  receipt: string;
  body: string;
  /** ApproximateReceiveCount, as SQS gives it (text). */
  receiveCount: string | undefined;
  /** SentTimestamp, epoch ms as text. */
  sentTimestamp: string | undefined;
  /** The ENQUEUED_AT_ATTRIBUTE value, when a redrive set one. */
  originalEnqueuedAt: string | undefined;
  /** MessageGroupId (FIFO queues only). */
  messageGroupId?: string;
}

/**
 * The contract's Delivery of an SQS message. The backend's leases and Lambda's records both go
 * through here, so that a handler cannot tell them apart: same enqueue time (a redrive's original
 * time first), same `source_enqueued_time` in the body, same receive count.
 */
export function sqsDelivery(queue: string, facts: SqsMessageFacts): Delivery {
  const enqueuedAt = Number(facts.originalEnqueuedAt ?? facts.sentTimestamp ?? Date.now());
  return {
    id: facts.id,
    body: withEnqueuedTime(facts.body, enqueuedAt),
    receipt: facts.receipt,
    receiveCount: Number(facts.receiveCount ?? 1),
    enqueuedAt,
    queue,
    ...(facts.messageGroupId !== undefined ? { messageGroupId: facts.messageGroupId } : {}),
  };
}
