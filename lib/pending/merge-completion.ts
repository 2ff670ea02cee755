/**
 * Sparse completion messages: a processor's notification that a payment completed carries only
 * what the processor knows (ids, amount, status) and a `completion_message_id`. The donor's
 * details wait in the pending table; the donations consumer on the CRM side calls this to get
 * the whole donation back.
 */

import type { PendingStore } from './pending-store';

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

/**
 * Looks up the pending row of a sparse completion message (by gateway and order id, the
 * gateway transaction id as a hint when several rows share the order) and returns the merged
 * donation; null when no pending row exists, so the caller can retry later or store it.
 */
export async function completeFromPending(store: PendingStore, completion: Record<string, unknown>): Promise<Record<string, unknown> | null> {
  const { gateway, order_id: orderId, gateway_txn_id: txnId } = completion;
  if (typeof gateway !== 'string' || typeof orderId !== 'string') return null;
  const row = await store.fetchByGatewayOrderId(gateway, orderId, typeof txnId === 'string' ? txnId : undefined);
  return row ? mergePendingIntoCompletion(completion, row.message) : null;
}
