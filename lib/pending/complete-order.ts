/**
 * "This order is settled": the one operation that finishes every pending row of a
 * (gateway, order id) once the payment's outcome is known elsewhere, so that the rectifier never
 * takes the order thirty minutes later (a second donation, or a cancel of a completed payment).
 *
 * Who calls it (docs/architecture.md §7.1): the frontend when the donor came back and the payment
 * is done, the CRM when it imported the donation. Three doors, one operation: this library call,
 * the signed HTTP endpoint (`POST /pending/complete`, lib/pending/http-endpoint.ts) and a
 * completion message on the `pending` queue (`pending_action: "complete"`, consume-pending).
 */
import { MalformedMessageError } from '../errors';
import { isJsonObject } from '../json-object';
import { truncateChars } from '../truncate';
import type { PendingStore, ResolveMode } from './pending-store';
import type { SettledOrdersStore } from './settled-orders-store';

/** The value of `pending_action` that makes a message on the pending queue a completion. */
export const COMPLETE_ACTION = 'complete';

/** An order whose outcome is known: its pending rows are of no further use. */
export interface SettledOrder {
  gateway: string;
  orderId: string;
}

/** The two tables settling writes. */
export interface SettlingStores {
  pending: PendingStore;
  settled: SettledOrdersStore;
}

/**
 * Settles an order: records it as settled (so a later pending message of it is dropped, not
 * stored), then deletes every pending row of it, or marks them resolved (`mode`, as the other
 * jobs do). Idempotent: an unknown or already settled order changes nothing more. Resolves with
 * how many rows changed.
 */
export async function settleOrder(stores: SettlingStores, order: SettledOrder, mode: ResolveMode): Promise<number> {
  return settleOrders(stores, [order], mode);
}

/**
 * `settleOrder` for many orders, in two statements whatever their number (a batch of completions
 * on the pending queue): every order recorded, then every row of them resolved.
 */
export async function settleOrders(stores: SettlingStores, orders: readonly SettledOrder[], mode: ResolveMode): Promise<number> {
  if (orders.length === 0) return 0;
  await stores.settled.recordMany(orders);
  return stores.pending.resolveOrders(orders, mode);
}

/** True for a pending-queue message that settles an order instead of adding a row. */
export function isCompletionMessage(body: unknown): boolean {
  return isJsonObject(body) && body.pending_action === COMPLETE_ACTION;
}

/**
 * The longest gateway and order id the order's tables hold (VARCHAR(255), in characters). A
 * completion over it is refused here, alone: in the batch's one settling statement the server
 * would refuse it, and with it every other message of the batch.
 */
const ORDER_FIELD_CHARS = 255;

/**
 * Reads a completion (`{"gateway": …, "order_id": …}`, extra keys ignored) from a queue message
 * or an HTTP body; MalformedMessageError names what is wrong, never a value.
 */
export function parseSettledOrder(body: unknown): SettledOrder {
  if (!isJsonObject(body)) throw new MalformedMessageError('completion is not a JSON object');
  const orderId = typeof body.order_id === 'number' ? String(body.order_id) : body.order_id;
  const problems: string[] = [];
  if (typeof body.gateway !== 'string' || body.gateway.trim() === '') problems.push('gateway is missing');
  else if (truncateChars(body.gateway, ORDER_FIELD_CHARS) !== body.gateway) problems.push(`gateway is longer than ${ORDER_FIELD_CHARS} characters`);
  if (typeof orderId !== 'string' || orderId.trim() === '') problems.push('order_id is missing');
  else if (truncateChars(orderId, ORDER_FIELD_CHARS) !== orderId) problems.push(`order_id is longer than ${ORDER_FIELD_CHARS} characters`);
  if (problems.length > 0) throw new MalformedMessageError(`invalid completion: ${problems.join('; ')}`);
  return { gateway: body.gateway as string, orderId: orderId as string };
}
