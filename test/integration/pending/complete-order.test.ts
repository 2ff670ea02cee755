import { settleOrder } from '../../../lib/pending/complete-order';
import { consumePending } from '../../../lib/pending/consume-pending';
import { COMPLETE_PATH, handlePendingRequest, orderPath, PENDING_SIGNATURE_HEADER, type PendingEndpointOptions } from '../../../lib/pending/http-endpoint';
import { PendingStore } from '../../../lib/pending/pending-store';
import { SettledOrdersStore } from '../../../lib/pending/settled-orders-store';
import type { HttpRequest } from '../../../lib/http';
import { signRequest } from '../../../lib/signing';
import { createPendingTestEnv, type PendingTestEnv } from '../../support/pending';
import fixture from '../../../fixtures/pending-message.json';

const SECRET = 'test-pending-secret';
const PREVIOUS = 'test-pending-secret-before-rotation';

describe('settling a pending order', () => {
  let env: PendingTestEnv;
  let store: PendingStore;
  let settled: SettledOrdersStore;
  let stores: { pending: PendingStore; settled: SettledOrdersStore };
  const now = new Date('2026-12-02T03:30:00Z');
  const nowSeconds = Math.floor(now.getTime() / 1000);

  beforeAll(async () => {
    env = await createPendingTestEnv();
    store = new PendingStore(env.database.db);
    settled = new SettledOrdersStore(env.database.db);
    stores = { pending: store, settled };
  });

  afterAll(async () => {
    await env.close();
  });

  beforeEach(async () => {
    await env.database.pool.query('DELETE FROM pending');
    await env.database.pool.query('DELETE FROM damaged');
    await env.database.pool.query('DELETE FROM pending_settled');
    await env.backend.purge(env.queues.pending);
  });

  const orders = async () => (await env.rows<{ order_id: string; is_resolved: number }>('SELECT order_id, is_resolved FROM pending ORDER BY id'));
  const twoRowsOf = async (orderId: string) => {
    await store.store({ ...fixture, order_id: orderId });
    await store.store({ ...fixture, order_id: orderId, date: fixture.date + 60, response: 'second attempt' });
  };

  describe('settleOrder', () => {
    it('should delete every row of the order and nothing else, and change nothing when called again', async () => {
      await twoRowsOf('500.1');
      await store.store({ ...fixture, order_id: '501.1' });

      const first = await settleOrder(stores, { gateway: fixture.gateway, orderId: '500.1' }, 'delete');
      const second = await settleOrder(stores, { gateway: fixture.gateway, orderId: '500.1' }, 'delete');

      expect([first, second]).toEqual([2, 0]);
      expect(await orders()).toEqual([{ order_id: '501.1', is_resolved: 0 }]);
    });

    it('should keep a pending message of a settled order that arrives after its completion out of the table', async () => {
      await settleOrder(stores, { gateway: fixture.gateway, orderId: '503.1' }, 'delete');
      await env.backend.pushBatch(env.queues.pending, [{ ...fixture, order_id: '503.1' }, { ...fixture, order_id: '504.1' }]);

      const counts = await consumePending(env.deps, { queue: env.queues.pending, timeLimitSeconds: 10, messageLimit: 0, batchSize: 10, resolveMode: 'delete' });

      expect(counts).toMatchObject({ processed: 2, succeeded: 1, dropped: 1 });
      expect(await orders()).toEqual([{ order_id: '504.1', is_resolved: 0 }]);
    });

    it('should mark every row of the order resolved in mark-resolved mode', async () => {
      await twoRowsOf('502.1');

      const resolved = await settleOrder(stores, { gateway: fixture.gateway, orderId: '502.1' }, 'mark-resolved');

      expect(resolved).toBe(2);
      expect(await orders()).toEqual([{ order_id: '502.1', is_resolved: 1 }, { order_id: '502.1', is_resolved: 1 }]);
    });
  });

  describe('the pending endpoint', () => {
    const options = (): PendingEndpointOptions => ({
      keys: { current: SECRET, previous: PREVIOUS },
      toleranceSeconds: 300,
      resolveMode: 'delete',
      store,
      settled,
      logger: env.deps.logger!,
      now,
    });
    const post = (body: string, signature?: string): HttpRequest => ({
      body,
      headers: signature === undefined ? {} : { [PENDING_SIGNATURE_HEADER]: signature },
      requestContext: { http: { method: 'POST' } },
    });
    const get = (gateway: string, orderId: string, signature: string): HttpRequest => ({
      headers: { [PENDING_SIGNATURE_HEADER]: signature },
      pathParameters: { gateway, orderId },
      requestContext: { http: { method: 'GET' } },
    });
    const completeBody = (orderId: string) => JSON.stringify({ gateway: fixture.gateway, order_id: orderId });

    it('should settle the order of a signed POST /pending/complete and answer how many rows went', async () => {
      await twoRowsOf('520.1');
      const body = completeBody('520.1');

      const response = await handlePendingRequest(post(body, signRequest(SECRET, { method: 'POST', path: COMPLETE_PATH, body }, nowSeconds)), options());

      expect(response.statusCode).toBe(200);
      expect(JSON.parse(response.body)).toEqual({ resolved: 2 });
      expect(await orders()).toEqual([]);
    });

    it('should accept a request signed with the previous secret during a rotation', async () => {
      await twoRowsOf('521.1');
      const body = completeBody('521.1');

      const response = await handlePendingRequest(post(body, signRequest(PREVIOUS, { method: 'POST', path: COMPLETE_PATH, body }, nowSeconds)), options());

      expect(response.statusCode).toBe(200);
    });

    it('should refuse, with 401 and nothing changed, an unsigned request, a stale timestamp, another secret and a signature of another body', async () => {
      await twoRowsOf('522.1');
      const body = completeBody('522.1');
      const sign = (secret: string, at: number, signed = body) => signRequest(secret, { method: 'POST', path: COMPLETE_PATH, body: signed }, at);

      const answers = await Promise.all([
        handlePendingRequest(post(body), options()),
        handlePendingRequest(post(body, sign(SECRET, nowSeconds - 301)), options()),
        handlePendingRequest(post(body, sign('some-other-secret', nowSeconds)), options()),
        handlePendingRequest(post(body, sign(SECRET, nowSeconds, completeBody('999.1'))), options()),
      ]);

      expect(answers.map((answer) => answer.statusCode)).toEqual([401, 401, 401, 401]);
      expect(JSON.parse(answers[1]!.body).error).toContain('outside the accepted window');
      expect(await orders()).toHaveLength(2);
    });

    it('should answer 400 for a signed body that names no order', async () => {
      const body = JSON.stringify({ gateway: fixture.gateway });

      const response = await handlePendingRequest(post(body, signRequest(SECRET, { method: 'POST', path: COMPLETE_PATH, body }, nowSeconds)), options());

      expect(response.statusCode).toBe(400);
      expect(JSON.parse(response.body).error).toContain('order_id is missing');
    });

    it('should answer 400, not 500, for a signed body whose order id is longer than the tables hold', async () => {
      const body = JSON.stringify({ gateway: fixture.gateway, order_id: '9'.repeat(300) });

      const response = await handlePendingRequest(post(body, signRequest(SECRET, { method: 'POST', path: COMPLETE_PATH, body }, nowSeconds)), options());

      expect(response.statusCode).toBe(400);
      expect(JSON.parse(response.body).error).toBe('invalid completion: order_id is longer than 255 characters');
    });

    it("should answer a signed GET with the order's rows, newest first, and 404 for an order without rows", async () => {
      await twoRowsOf('523.1');
      const signGet = (orderId: string) => signRequest(SECRET, { method: 'GET', path: orderPath(fixture.gateway, orderId), body: '' }, nowSeconds);

      const found = await handlePendingRequest(get(fixture.gateway, '523.1', signGet('523.1')), options());
      const missing = await handlePendingRequest(get(fixture.gateway, '524.1', signGet('524.1')), options());
      const otherOrder = await handlePendingRequest(get(fixture.gateway, '523.1', signGet('524.1')), options());

      expect(found.statusCode).toBe(200);
      const { rows } = JSON.parse(found.body) as { rows: Array<{ date: number; is_resolved: boolean; message: Record<string, unknown> }> };
      expect(rows.map((row) => [row.date, row.message.response])).toEqual([[fixture.date + 60, 'second attempt'], [fixture.date, fixture.response]]);
      expect(missing.statusCode).toBe(404);
      expect(otherOrder.statusCode).toBe(401);
    });
  });
});
