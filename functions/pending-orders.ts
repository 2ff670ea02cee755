/**
 * Triggers: httpApi `POST /pending/complete` and `GET /pending/{gateway}/{orderId}` (serverless.yml),
 * for the frontend (donor back, payment done) and the CRM (donation imported; a sparse completion to
 * merge). Guarantee: a 200 to POST means every pending row of the order is deleted (or marked
 * resolved), so rectify-orphans will not take it; GET answers the order's rows, newest first, or
 * 404. 401 without a valid `X-Pending-Signature` (t=<unix seconds>,v1=<HMAC-SHA256>, lib/signing.ts);
 * 503 when the database is down (nothing changed; retry).
 */
import { pendingOrdersRequestJob } from '../lib/pending/jobs';
import { pendingDbClient } from '../lib/runtime/clients/database';
import { createHandler } from '../lib/runtime/handler-runtime';

export const handler = createHandler('pending-orders', pendingOrdersRequestJob, { db: pendingDbClient });
