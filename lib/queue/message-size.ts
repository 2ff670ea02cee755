/**
 * The maximum message size is part of the queue contract (QueueSettings.maxMessageBytes): both
 * backends measure the body exactly as it will be stored and refuse a bigger one before any of a
 * push reaches the transport, so that a message that one backend would take is never lost or
 * refused by the other.
 */
import { MessageTooLargeError } from './errors';

/** UTF-8 size of a serialised body. */
export function messageBytes(body: string): number {
  return Buffer.byteLength(body, 'utf8');
}

/** Rejects with MessageTooLargeError when `body` (as stored) is bigger than `maxBytes`. */
export function assertMessageFits(queue: string, body: string, maxBytes: number): void {
  // A UTF-8 character is at most 3 bytes per UTF-16 unit: short bodies skip the exact count.
  if (body.length * 3 <= maxBytes) return;
  const bytes = messageBytes(body);
  if (bytes > maxBytes) throw new MessageTooLargeError(queue, bytes, maxBytes);
}
