import { createDamagedStore } from '../../../lib/consumer/damaged-store';
import { consumePaymentsInit } from '../../../lib/pending/consume-payments-init';
import { PendingStore } from '../../../lib/pending/pending-store';
import { openCountedDatabase } from '../../support/database';
import { createPendingTestEnv, type PendingTestEnv } from '../../support/pending';
import pendingFixture from '../../../fixtures/pending-message.json';
import fixture from '../../../fixtures/payments-init.json';

describe('consumePaymentsInit', () => {
  let env: PendingTestEnv;
  let pending: PendingStore;

  beforeAll(async () => {
    env = await createPendingTestEnv();
    pending = new PendingStore(env.database.db);
  });

  afterAll(async () => {
    await env.close();
  });

  beforeEach(async () => {
    for (const table of ['pending', 'damaged', 'payments_initial']) await env.database.pool.query(`DELETE FROM ${table}`);
    await env.backend.purge(env.queues.paymentsInit);
  });

  const run = (deps = env.deps) => consumePaymentsInit(deps, { queue: env.queues.paymentsInit, timeLimitSeconds: 30, messageLimit: 0, batchSize: 200 });
  const pendingOf = (order: string) => ({ ...pendingFixture, gateway: fixture.gateway, order_id: order });

  it('should store the payments-init fixture as one row with every column, named as in the legacy table', async () => {
    await env.backend.push(env.queues.paymentsInit, fixture);

    const counts = await run();

    expect(counts).toMatchObject({ processed: 1, succeeded: 1 });
    const rows = await env.rows(
      "SELECT contribution_tracking_id, gateway, order_id, gateway_txn_id, validation_action, payments_final_status, payment_method, payment_submethod, country, amount, currency_code, server, DATE_FORMAT(date, '%Y-%m-%d %H:%i:%s') AS date FROM payments_initial",
    );
    expect(rows).toEqual([
      {
        contribution_tracking_id: 48213402,
        gateway: 'ingenico',
        order_id: '48213402.1',
        gateway_txn_id: fixture.gateway_txn_id,
        validation_action: 'process',
        payments_final_status: 'failed',
        payment_method: 'cc',
        payment_submethod: 'visa',
        country: 'US',
        amount: '15.0000',
        currency_code: 'USD',
        server: 'payments1003',
        date: '2024-11-27 13:03:40',
      },
    ]);
  });

  it('should delete every pending row of a failed order not under review, and only those', async () => {
    await pending.store(pendingOf(fixture.order_id));
    await pending.store({ ...pendingOf(fixture.order_id), gateway_txn_id: 'second' });
    await pending.store(pendingOf('48213402.2'));
    await env.backend.push(env.queues.paymentsInit, fixture);

    await run();

    expect(await env.rows('SELECT order_id FROM pending')).toEqual([{ order_id: '48213402.2' }]);
  });

  it('should keep the pending rows of a failed order under review, and of a completed one', async () => {
    await pending.store(pendingOf('review.1'));
    await pending.store(pendingOf('complete.1'));
    await env.backend.pushBatch(env.queues.paymentsInit, [
      { ...fixture, order_id: 'review.1', validation_action: 'review' },
      { ...fixture, order_id: 'complete.1', payments_final_status: 'complete' },
    ]);

    await run();

    expect(await env.rows('SELECT order_id FROM pending ORDER BY order_id')).toEqual([{ order_id: 'complete.1' }, { order_id: 'review.1' }]);
  });

  it("should apply the legacy rule: a cancelled attempt's rows go, a reject left open at Ingenico and any failure at a gateway that reuses order ids keep theirs", async () => {
    // arrange
    const cases = [
      { gateway: 'ingenico', order_id: 'cancelled.1', payments_final_status: 'cancelled' },
      { gateway: 'ingenico', order_id: 'rejected.1', validation_action: 'reject' },
      { gateway: 'adyen', order_id: 'reused.1' },
      { gateway: 'dlocal', order_id: 'reused.2', payments_final_status: 'cancelled' },
    ];
    for (const { gateway, order_id } of cases) await pending.store({ ...pendingOf(order_id), gateway });
    await env.backend.pushBatch(env.queues.paymentsInit, cases.map((outcome) => ({ ...fixture, ...outcome })));

    // act
    await run();

    // assert
    expect(await env.rows('SELECT gateway, order_id FROM pending ORDER BY order_id')).toEqual([
      { gateway: 'ingenico', order_id: 'rejected.1' },
      { gateway: 'adyen', order_id: 'reused.1' },
      { gateway: 'dlocal', order_id: 'reused.2' },
    ]);
  });

  it('should upsert: a newer outcome updates the row, a redelivered older one does not', async () => {
    await env.backend.pushBatch(env.queues.paymentsInit, [
      { ...fixture, payments_final_status: 'pending', date: fixture.date },
      { ...fixture, payments_final_status: 'complete', date: fixture.date + 60 },
      { ...fixture, payments_final_status: 'pending', date: fixture.date },
    ]);

    await run();

    expect(await env.rows("SELECT payments_final_status AS s, DATE_FORMAT(date, '%H:%i:%s') AS t FROM payments_initial")).toEqual([
      { s: 'complete', t: '13:04:40' },
    ]);
  });

  it('should send a message without an order id to damaged and go on', async () => {
    const { order_id: _omitted, ...noOrder } = fixture;
    await env.backend.pushBatch(env.queues.paymentsInit, [noOrder, { ...fixture, order_id: 'next.1' }]);

    const counts = await run();

    expect(counts).toMatchObject({ processed: 2, damaged: 1, succeeded: 1 });
    const [damaged] = await env.rows<{ error: string }>('SELECT error FROM damaged');
    expect(damaged!.error).toContain('order_id is missing');
  });

  it('should store a batch with one multi-row upsert and clear its failed orders with one DELETE', async () => {
    const single = openCountedDatabase(env.database.url);
    const names = ['Com_insert', 'Com_delete', 'Com_stmt_execute'];
    try {
      const orders = Array.from({ length: 10 }, (_, n) => `batch.${n}`);
      for (const order of orders) await pending.store(pendingOf(order));
      await env.backend.pushBatch(
        env.queues.paymentsInit,
        orders.map((order, n) => ({ ...fixture, order_id: order, payments_final_status: n % 2 === 0 ? 'failed' : 'complete' })),
      );
      const before = await single.counters(names);

      const counts = await run({ ...env.deps, db: single.db, damagedStore: createDamagedStore(single.db) });

      const after = await single.counters(names);
      expect(counts).toMatchObject({ processed: 10, succeeded: 10 });
      // The batch's upsert is a prepared statement (Com_stmt_execute), the DELETE a text one.
      expect({ executes: after.Com_stmt_execute! - before.Com_stmt_execute!, inserts: after.Com_insert! - before.Com_insert!, deletes: after.Com_delete! - before.Com_delete! }).toEqual({ executes: 1, inserts: 1, deletes: 1 });
      expect((await env.rows<{ order_id: string }>('SELECT order_id FROM payments_initial ORDER BY order_id')).map((row) => row.order_id)).toEqual(orders);
      expect((await env.rows<{ order_id: string }>('SELECT order_id FROM pending ORDER BY order_id')).map((row) => row.order_id)).toEqual(orders.filter((_, n) => n % 2 === 1));
    } finally {
      await single.close();
    }
  });

  it('should store the rest of a batch when the database refuses one row, and send that one to damaged', async () => {
    await pending.store(pendingOf('refused.1'));
    await pending.store(pendingOf('kept.1'));
    await env.backend.pushBatch(env.queues.paymentsInit, [
      { ...fixture, order_id: 'kept.1' },
      { ...fixture, order_id: 'refused.1', country: 'USA' },
      { ...fixture, order_id: 'kept.2', payments_final_status: 'complete' },
    ]);

    const counts = await run();

    expect(counts).toMatchObject({ processed: 3, succeeded: 2, damaged: 1 });
    expect(await env.rows('SELECT order_id FROM payments_initial ORDER BY order_id')).toEqual([{ order_id: 'kept.1' }, { order_id: 'kept.2' }]);
    // The refused outcome was not stored, so its order's rows stay; the stored failure's go.
    expect(await env.rows('SELECT order_id FROM pending')).toEqual([{ order_id: 'refused.1' }]);
    const damaged = await env.rows<{ message: string }>('SELECT message FROM damaged');
    expect(damaged.map((row) => JSON.parse(row.message).order_id)).toEqual(['refused.1']);
  });
});
