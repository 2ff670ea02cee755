/**
 * The compact record a message is stored as in Redis: `id|enqueuedMs|receiveCount|body`.
 * One list element per queued message and no per-message keys keeps Redis memory close to the
 * payload (docs/queue.md, Redis layout). The Lua scripts write the records; this module reads them.
 */

export interface MessageRecord {
  id: string;
  enqueuedAt: number;
  receiveCount: number;
  body: string;
}

/** Encodes a record the way the scripts do (used by tests and tools, never on the hot path). */
export function encodeRecord(record: MessageRecord): string {
  return `${record.id}|${record.enqueuedAt}|${record.receiveCount}|${record.body}`;
}

/** Splits a stored record; throws on anything the scripts could not have written. */
export function decodeRecord(raw: string): MessageRecord {
  const first = raw.indexOf('|');
  const second = first < 0 ? -1 : raw.indexOf('|', first + 1);
  const third = second < 0 ? -1 : raw.indexOf('|', second + 1);
  if (third < 0) throw new Error('corrupt queue record: missing header fields');
  // ids in the due set are zero-padded (so that ties sort by id): the id is the number
  const id = raw.slice(0, first).replace(/^0+(?=\d)/, '');
  const enqueuedAt = Number(raw.slice(first + 1, second));
  const receiveCount = Number(raw.slice(second + 1, third));
  if (!/^\d+$/.test(id) || !Number.isSafeInteger(enqueuedAt) || !Number.isSafeInteger(receiveCount)) {
    throw new Error('corrupt queue record: bad header fields');
  }
  return { id, enqueuedAt, receiveCount, body: raw.slice(third + 1) };
}

/** Receipts are `id:receiveCount:leaseTag:position`; the id is what ack and release look up. */
export function receiptMessageId(receipt: string): string | undefined {
  const match = /^(\d+):\d+:\d+:\d+$/.exec(receipt);
  return match?.[1];
}

/** The receive count a receipt was issued for (the delivery's receiveCount). */
export function receiptReceiveCount(receipt: string): number {
  const match = /^\d+:(\d+):\d+:\d+$/.exec(receipt);
  if (!match) throw new Error('corrupt queue receipt');
  return Number(match[1]);
}
