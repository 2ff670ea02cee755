/**
 * The pending endpoint for the frontend and the CRM (API Gateway v2 `httpApi`, also under
 * serverless-offline), signed like every endpoint here (lib/signing.ts, header
 * `X-Pending-Signature`, secrets PENDING_HMAC_SECRET and PENDING_HMAC_SECRET_PREVIOUS):
 *
 * - `POST /pending/complete`, body `{"gateway": …, "order_id": …}`: the order is settled (every
 *   pending row of it deleted or marked resolved); 200 `{"resolved": <rows>}`, also when there
 *   were none (settling is idempotent, so a retried or replayed request is harmless);
 * - `GET /pending/{gateway}/{orderId}`: the order's pending rows, newest first, for the CRM to
 *   merge a sparse completion message (lib/pending/merge-completion.ts); 200
 *   `{"rows": [{"id", "date" (unix seconds), "is_resolved", "message"}]}`, 404 when there are none;
 * - 400 for a body that names no order, 401 without a valid signature, 503 when the database is
 *   down (retry), 405 for anything else.
 *
 * Logs and error texts name the gateway and counts, never an order's message.
 */
import { InfrastructureError, MalformedMessageError, toError } from '../errors';
import { rawBody, refuseUnsigned, respond, type HttpRequest, type HttpResponse } from '../http';
import { parseJsonObject } from '../json-object';
import type { Logger } from '../log';
import type { SigningKeys } from '../signing';
import { withDatabase } from '../db/transaction';
import { parseSettledOrder, settleOrder } from './complete-order';
import type { PendingStore, ResolveMode } from './pending-store';
import type { SettledOrdersStore } from './settled-orders-store';

/** The header carrying the signature (API Gateway v2 lower-cases header names). */
export const PENDING_SIGNATURE_HEADER = 'x-pending-signature';

/** The path a completion is posted to (and signed with). */
export const COMPLETE_PATH = '/pending/complete';

/** The path of an order's rows, as it is requested and signed. */
export function orderPath(gateway: string, orderId: string): string {
  return `/pending/${encodeURIComponent(gateway)}/${encodeURIComponent(orderId)}`;
}

export interface PendingEndpointOptions {
  keys: SigningKeys;
  toleranceSeconds: number;
  resolveMode: ResolveMode;
  store: PendingStore;
  settled: SettledOrdersStore;
  logger: Logger;
  now?: Date;
}

/** Authenticates and answers one request of the pending endpoint; never throws. */
export async function handlePendingRequest(request: HttpRequest, options: PendingEndpointOptions): Promise<HttpResponse> {
  const method = (request.requestContext?.http?.method ?? 'GET').toUpperCase();
  const gateway = request.pathParameters?.gateway;
  const orderId = request.pathParameters?.orderId;
  const isGet = method === 'GET' && gateway !== undefined && orderId !== undefined;
  const isComplete = method === 'POST' && gateway === undefined;
  if (!isGet && !isComplete) return respond(405, { error: 'use POST /pending/complete or GET /pending/{gateway}/{orderId}' });
  const body = rawBody(request);
  const path = isGet ? orderPath(gateway, orderId) : COMPLETE_PATH;
  const { refusal, result } = refuseUnsigned(request, PENDING_SIGNATURE_HEADER, options.keys, { method, path, body }, {
    toleranceSeconds: options.toleranceSeconds,
    now: options.now,
  });
  if (refusal) {
    options.logger.warn({ route: isGet ? 'get-order' : 'complete', problem: result.ok ? null : result.problem }, 'pending request refused: signature');
    return refusal;
  }
  if (result.ok && result.key === 'previous') options.logger.info({ route: isGet ? 'get-order' : 'complete' }, 'pending request signed with the previous secret');
  try {
    return isGet ? await orderRows(gateway, orderId, options) : await complete(body, options);
  } catch (error) {
    if (error instanceof MalformedMessageError) return respond(400, { error: error.message });
    if (error instanceof InfrastructureError) {
      options.logger.error({ error: error.name, reason: error.message }, 'pending request not answered: infrastructure unavailable');
      return respond(503, { error: 'the pending store is unavailable; retry later' });
    }
    options.logger.error({ error: toError(error).name }, 'pending request not answered: unexpected error');
    return respond(500, { error: 'internal error' });
  }
}

async function complete(body: Buffer, options: PendingEndpointOptions): Promise<HttpResponse> {
  const fields = parseJsonObject(body);
  if (!fields.ok) return respond(400, { error: fields.problem === 'not-json' ? 'body is not valid JSON' : 'body must be a JSON object' });
  const order = parseSettledOrder(fields.value);
  const resolved = await withDatabase('settle pending order', () => settleOrder({ pending: options.store, settled: options.settled }, order, options.resolveMode));
  options.logger.info({ gateway: order.gateway, resolved, mode: options.resolveMode }, 'pending order settled');
  return respond(200, { resolved });
}

async function orderRows(gateway: string, orderId: string, options: PendingEndpointOptions): Promise<HttpResponse> {
  const rows = await withDatabase('fetch pending rows of the order', () => options.store.fetchOrder(gateway, orderId));
  if (rows.length === 0) return respond(404, { error: 'no pending rows for this order' });
  return respond(200, {
    rows: rows.map((row) => ({ id: row.id, date: Math.floor(row.date.getTime() / 1000), is_resolved: row.isResolved, message: row.message })),
  });
}
