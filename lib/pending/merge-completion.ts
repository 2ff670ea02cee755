/**
 * Sparse completion messages: a processor's notification that a payment completed carries only
 * what the processor knows (ids, amount, status) and a `completion_message_id`. The donor's
 * details wait in the pending table; the donations consumer on the CRM side calls this to get
 * the whole donation back.
 */

/** Keys of the pending store's own bookkeeping, never part of a donation. */
const BOOKKEEPING_KEYS = new Set(['pending_id']);

function dateOf(message: Record<string, unknown>): number {
  const value = Number(message.date);
  return Number.isFinite(value) ? value : Number.NEGATIVE_INFINITY;
}

/**
 * Merges a pending message into a sparse completion message, key by key: where both carry a
 * key the newer message (by `date`; the completion on a tie or when dates are unreadable)
 * wins; a key absent from both stays absent, never present as undefined or blank.
 */
export function mergePendingIntoCompletion(
  completion: Record<string, unknown>,
  pendingMessage: Record<string, unknown>,
): Record<string, unknown> {
  const pendingIsNewer = dateOf(pendingMessage) > dateOf(completion);
  const [older, newer] = pendingIsNewer ? [completion, pendingMessage] : [pendingMessage, completion];
  const merged: Record<string, unknown> = {};
  for (const source of [older, newer]) {
    for (const [key, value] of Object.entries(source)) {
      if (value === undefined || BOOKKEEPING_KEYS.has(key)) continue;
      merged[key] = value;
    }
  }
  // The message stays a completion message whichever side was newer.
  if (completion.completion_message_id !== undefined) merged.completion_message_id = completion.completion_message_id;
  return merged;
}

/** True for a message that only completes a payment whose details are in the pending table. */
export function isSparseCompletion(message: Record<string, unknown>): boolean {
  return typeof message.completion_message_id === 'string' && message.completion_message_id !== '';
}
