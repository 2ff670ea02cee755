import { createDamagedStore } from '../../../lib/consumer/damaged-store';
import type { BatchMessage } from '../../../lib/consumer/run-batch-consumer';
import { consumePending, storePendingBatch } from '../../../lib/pending/consume-pending';
import { OrderOutcomesLookup, type OrderOutcomes } from '../../../lib/pending/order-lookup';
import { PaymentsInitialStore } from '../../../lib/pending/payments-initial-store';
import { normalisePendingMessage } from '../../../lib/pending/normalise-message';
import { PendingStore, pendingMessageKey } from '../../../lib/pending/pending-store';
import { SettledOrdersStore } from '../../../lib/pending/settled-orders-store';
import { openDatabase } from '../../../lib/db/client';
import { RedisQueueBackend } from '../../../lib/queue';
import { openCountedDatabase } from '../../support/database';
import { createPendingTestEnv, type PendingTestEnv } from '../../support/pending';
import legacy from '../../../fixtures/pending-message-legacy-keys.json';
import fixture from '../../../fixtures/pending-message.json';
import paymentsInit from '../../../fixtures/payments-init.json';

describe('consumePending', () => {
  let env: PendingTestEnv;

  beforeAll(async () => {
    env = await createPendingTestEnv();
  });

  afterAll(async () => {
    await env.close();
  });

  beforeEach(async () => {
    await env.database.pool.query('DELETE FROM pending');
    await env.database.pool.query('DELETE FROM damaged');
    await env.database.pool.query('DELETE FROM payments_initial');
    await env.database.pool.query('DELETE FROM pending_settled');
    await env.backend.purge(env.queues.pending);
  });

  const run = (batchSize = 50) => consumePending(env.deps, { queue: env.queues.pending, timeLimitSeconds: 30, messageLimit: 0, batchSize, resolveMode: 'delete' });

  it('should store the pending fixture as one row with its columns and the whole message', async () => {
    await env.backend.push(env.queues.pending, fixture);

    const counts = await run();

    expect(counts).toMatchObject({ processed: 1, succeeded: 1, damaged: 0 });
    const rows = await env.rows<Record<string, unknown>>(
      "SELECT DATE_FORMAT(date, '%Y-%m-%d %H:%i:%s') AS date, gateway, gateway_account, order_id, gateway_txn_id, payment_method, is_resolved, message FROM pending",
    );
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      date: '2024-11-27 13:00:00',
      gateway: 'astropay',
      gateway_account: 'default',
      order_id: '48213377.1',
      gateway_txn_id: null,
      payment_method: 'cc',
      is_resolved: 0,
    });
    const stored = typeof rows[0]!.message === 'string' ? JSON.parse(rows[0]!.message) : rows[0]!.message;
    expect(stored).toEqual(fixture);
    expect(await env.queued(env.queues.pending)).toEqual([]);
  });

  it('should normalise the legacy-keys fixture before storing it', async () => {
    await env.backend.push(env.queues.pending, legacy);

    await run();

    const [row] = await env.rows<{ date: string; message: string | Record<string, unknown> }>(
      "SELECT DATE_FORMAT(date, '%Y-%m-%d %H:%i:%s') AS date, message FROM pending",
    );
    expect(row!.date).toBe('2024-11-27 13:05:44');
    const stored = typeof row!.message === 'string' ? JSON.parse(row!.message) : row!.message;
    expect(stored).toMatchObject({ gross: '10.00', currency: 'EUR', first_name: 'Henk', last_name: 'Jansen', postal_code: '1011 AB', street_address: 'Dorpsstraat 3' });
    for (const key of ['amount', 'currency_code', 'fname', 'lname', 'zip', 'street', 'state']) expect(stored).not.toHaveProperty(key);
  });

  it('should store several rows sharing an order id', async () => {
    await env.backend.pushBatch(env.queues.pending, [fixture, { ...fixture, gateway_txn_id: 'T2' }]);

    await run();

    expect(await env.rows('SELECT order_id FROM pending')).toHaveLength(2);
  });

  it('should store a redelivered message once, whether it comes back in the same batch or a later run', async () => {
    await env.backend.pushBatch(env.queues.pending, [fixture, fixture]);
    await run();
    // A message the producer pushed again: the queue stamps its source fields anew.
    await env.backend.push(env.queues.pending, { ...fixture, source_enqueued_time: fixture.source_enqueued_time + 60, source_run_id: 1 });

    const counts = await run();

    expect(counts).toMatchObject({ processed: 1, succeeded: 1, damaged: 0 });
    expect(await env.rows('SELECT order_id FROM pending')).toEqual([{ order_id: fixture.order_id }]);
  });

  it('should store batches prepared while the batch before was in the database as it stores the first', async () => {
    // arrange: batches of two, so that every batch after the first is leased ahead and prepared
    const messages = [fixture, { ...fixture, gateway: '' }, { ...fixture, gateway_txn_id: 'T2' }, fixture, legacy, { ...fixture, order_id: '48213378.1' }];
    await env.backend.pushBatch(env.queues.pending, messages);

    // act
    const counts = await run(2);

    // assert: four distinct messages, one redelivery absorbed by its key, one without gateway in damaged
    expect(counts).toMatchObject({ processed: 6, succeeded: 5, damaged: 1 });
    const rows = await env.rows<{ message_key: string }>('SELECT message_key FROM pending ORDER BY id');
    const expected = [messages[0], messages[2], messages[4], messages[5]].map((message) => pendingMessageKey(normalisePendingMessage(message)));
    expect(rows.map((row) => row.message_key)).toEqual(expected);
    expect(await env.rows('SELECT id FROM damaged')).toHaveLength(1);
  });

  it('should store a second, different message of the same order as another row of that order', async () => {
    await env.backend.push(env.queues.pending, fixture);
    await run();
    await env.backend.push(env.queues.pending, { ...fixture, date: fixture.date + 300, response: 'redirected-again' });

    await run();

    expect(await env.rows('SELECT order_id FROM pending')).toEqual([{ order_id: fixture.order_id }, { order_id: fixture.order_id }]);
  });

  it('should ack and not store a message whose payment already failed and is not under review', async () => {
    const store = new PaymentsInitialStore(env.database.db);
    await store.upsert({ ...paymentsInit, gateway: 'astropay', order_id: fixture.order_id });
    await store.upsert({ ...paymentsInit, gateway: 'astropay', order_id: 'reviewed.1', validation_action: 'review' });
    await env.backend.pushBatch(env.queues.pending, [fixture, { ...fixture, order_id: 'reviewed.1' }]);

    const counts = await run();

    expect(counts).toMatchObject({ processed: 2, dropped: 1, succeeded: 1 });
    expect(await env.rows('SELECT order_id FROM pending')).toEqual([{ order_id: 'reviewed.1' }]);
    expect(await env.rows('SELECT id FROM damaged')).toEqual([]);
    expect(await env.queued(env.queues.pending)).toEqual([]);
  });

  it("should leave no row of an order whose failed outcome another consumer commits while this batch is being stored", async () => {
    // arrange: the payments-init consumer stores the failed outcome, and deletes the order's rows,
    // right after this batch looked the order up (the interleaving the soak drill found)
    const pendingStore = new PendingStore(env.database.db);
    const concurrentOutcome = async () => {
      await new PaymentsInitialStore(env.database.db).upsert({ ...paymentsInit, gateway: fixture.gateway, order_id: fixture.order_id });
      await pendingStore.deleteOrder(fixture.gateway, fixture.order_id);
    };
    class RacingOrderOutcomesLookup extends OrderOutcomesLookup {
      override async lookUp(orders: Array<{ gateway: string; orderId: string }>): Promise<OrderOutcomes> {
        const outcomes = await super.lookUp(orders);
        await concurrentOutcome();
        return outcomes;
      }
    }
    const delivery: BatchMessage['delivery'] = { id: '1', queue: env.queues.pending, receipt: 'r', body: JSON.stringify(fixture), receiveCount: 1, enqueuedAt: Date.now() };

    // act
    await storePendingBatch([{ body: fixture, delivery }], pendingStore, new RacingOrderOutcomesLookup(env.database.db), new SettledOrdersStore(env.database.db), 'delete');

    // assert
    expect(await env.rows('SELECT order_id FROM pending')).toEqual([]);
  });

  it('should send a message without gateway and a body that is not JSON to damaged with the reason, and go on', async () => {
    const { gateway: _omitted, ...noGateway } = fixture;
    await env.backend.push(env.queues.pending, noGateway);
    await env.redis.rpush(env.queues.pending, '{"gateway": "astropay", broken');
    await env.backend.push(env.queues.pending, { ...fixture, order_id: 'good.1' });

    const counts = await run(1);

    expect(counts).toMatchObject({ processed: 3, succeeded: 1, damaged: 2 });
    expect(await env.rows('SELECT order_id FROM pending')).toEqual([{ order_id: 'good.1' }]);
    const damaged = await env.rows<{ original_queue: string; error: string; message: string; retry_date: Date | null }>(
      'SELECT original_queue, error, message, retry_date FROM damaged ORDER BY id',
    );
    expect(damaged).toHaveLength(2);
    expect(damaged[0]).toMatchObject({ original_queue: env.queues.pending, retry_date: null });
    expect(damaged[0]!.error).toContain('gateway is missing');
    expect(JSON.parse(damaged[0]!.message)).toMatchObject({ order_id: fixture.order_id });
    expect(damaged[1]!.error).toContain('not valid JSON');
    expect(damaged[1]!.message).toBe('{"gateway": "astropay", broken');
  });

  it('should store the rest of a batch when the database refuses one row', async () => {
    await env.backend.pushBatch(env.queues.pending, [
      { ...fixture, order_id: 'ok.1' },
      { ...fixture, order_id: 'bad.1', payment_method: 'x'.repeat(40) },
      { ...fixture, order_id: 'ok.2' },
    ]);

    const counts = await run(10);

    expect(counts).toMatchObject({ processed: 3, succeeded: 2, damaged: 1 });
    expect(await env.rows('SELECT order_id FROM pending ORDER BY order_id')).toEqual([{ order_id: 'ok.1' }, { order_id: 'ok.2' }]);
    const [damaged] = await env.rows<{ order_id: string; error: string }>('SELECT order_id, error FROM damaged');
    expect(damaged!.order_id).toBe('bad.1');
  });

  it('should stop at the message limit and leave the rest queued', async () => {
    await env.backend.pushBatch(env.queues.pending, [1, 2, 3].map((n) => ({ ...fixture, order_id: `${n}.1` })));

    const counts = await consumePending(env.deps, { queue: env.queues.pending, timeLimitSeconds: 30, messageLimit: 2, batchSize: 10, resolveMode: 'delete' });

    expect(counts).toMatchObject({ processed: 2, stoppedBecause: 'message-limit' });
    expect(await env.queued(env.queues.pending)).toHaveLength(1);
  });

  it('should fail the run and keep the message queued when the database is down', async () => {
    const { openDatabase } = await import('../../../lib/db/client');
    const down = openDatabase('mysql://root@127.0.0.1:1/nowhere');
    await env.backend.push(env.queues.pending, fixture);

    await expect(consumePending({ ...env.deps, db: down.db }, { queue: env.queues.pending, timeLimitSeconds: 5, messageLimit: 0, batchSize: 10, resolveMode: 'delete' })).rejects.toThrow(
      /database unavailable/,
    );

    await down.close();
    expect(await env.queued(env.queues.pending)).toHaveLength(1);
  });

  it('should spend no delivery while its database is down, so that an outage longer than maxReceiveCount runs dead-letters nothing', async () => {
    // arrange: the queue's declared receive limit, and the pending database (the damaged store's too) down
    const limited = new RedisQueueBackend({ redis: env.redis, defaults: { maxReceiveCount: 5 } });
    const down = openDatabase('mysql://root@127.0.0.1:1/nowhere', { connectionLimit: 1 });
    await limited.pushBatch(env.queues.pending, [1, 2, 3].map((n) => ({ ...fixture, order_id: `${n}.1` })));
    const options = { queue: env.queues.pending, timeLimitSeconds: 5, messageLimit: 0, batchSize: 10, resolveMode: 'delete' as const };

    // act: eight runs (one a minute on the deployed schedule) while it is down, then one after
    try {
      for (let run = 0; run < 8; run++) {
        await expect(consumePending({ ...env.deps, backend: limited, db: down.db, damagedStore: createDamagedStore(down.db) }, options)).rejects.toThrow(/database unavailable/);
      }
    } finally {
      await down.close();
    }
    const during = await limited.stats(env.queues.pending);
    const counts = await consumePending({ ...env.deps, backend: limited }, options);

    // assert
    expect(during).toMatchObject({ ready: 3, inFlight: 0, dead: 0 });
    expect(counts).toMatchObject({ processed: 3, succeeded: 3 });
    expect(await env.rows('SELECT order_id FROM pending ORDER BY order_id')).toEqual([{ order_id: '1.1' }, { order_id: '2.1' }, { order_id: '3.1' }]);
  });

  describe('a completion message on the pending queue', () => {
    const completion = (orderId: string) => ({ gateway: fixture.gateway, order_id: orderId, pending_action: 'complete' });

    it('should delete the rows of an order imported in an earlier run', async () => {
      await env.backend.pushBatch(env.queues.pending, [{ ...fixture, order_id: '510.1' }, { ...fixture, order_id: '510.1', response: 'second attempt' }, { ...fixture, order_id: '511.1' }]);
      await run();
      await env.backend.push(env.queues.pending, completion('510.1'));

      const counts = await run();

      expect(counts).toMatchObject({ processed: 1, succeeded: 1, damaged: 0 });
      expect(await env.rows('SELECT order_id FROM pending')).toEqual([{ order_id: '511.1' }]);
      expect(await env.rows('SELECT id FROM damaged')).toEqual([]);
    });

    it('should store a completion whose order id is longer than the tables hold in damaged alone, and settle the rest of its batch', async () => {
      // arrange
      await env.backend.pushBatch(env.queues.pending, [{ ...fixture, order_id: '513.1' }, { ...fixture, order_id: '514.1' }]);
      await run();
      await env.backend.pushBatch(env.queues.pending, [{ ...fixture, order_id: '515.1' }, completion('513.1'), completion('9'.repeat(300))]);

      // act
      const counts = await run();

      // assert
      expect(counts).toMatchObject({ processed: 3, succeeded: 2, damaged: 1 });
      expect(await env.rows('SELECT order_id FROM pending ORDER BY order_id')).toEqual([{ order_id: '514.1' }, { order_id: '515.1' }]);
      expect(await env.rows('SELECT error FROM damaged')).toEqual([{ error: 'MalformedMessageError: invalid completion: order_id is longer than 255 characters' }]);
    });

    it('should settle an order whose pending message came in the same batch, before it', async () => {
      await env.backend.pushBatch(env.queues.pending, [{ ...fixture, order_id: '512.1' }, completion('512.1')]);

      await run();

      expect(await env.rows('SELECT order_id FROM pending')).toEqual([]);
    });

    it('should settle a batch of completions with one INSERT into pending_settled and one DELETE of their rows', async () => {
      const single = openCountedDatabase(env.database.url);
      const names = ['Com_insert', 'Com_delete'];
      try {
        const orders = Array.from({ length: 10 }, (_, n) => `520.${n}`);
        await env.backend.pushBatch(env.queues.pending, [...orders.map((order) => ({ ...fixture, order_id: order })), { ...fixture, order_id: '521.1' }]);
        await run();
        await env.backend.pushBatch(env.queues.pending, orders.map(completion));
        const before = await single.counters(names);

        const counts = await consumePending({ ...env.deps, db: single.db, damagedStore: createDamagedStore(single.db) }, { queue: env.queues.pending, timeLimitSeconds: 30, messageLimit: 0, batchSize: 50, resolveMode: 'delete' });

        const after = await single.counters(names);
        expect(counts).toMatchObject({ processed: 10, succeeded: 10 });
        expect({ inserts: after.Com_insert! - before.Com_insert!, deletes: after.Com_delete! - before.Com_delete! }).toEqual({ inserts: 1, deletes: 1 });
        expect(await env.rows('SELECT order_id FROM pending')).toEqual([{ order_id: '521.1' }]);
        expect((await env.rows<{ order_id: string }>('SELECT order_id FROM pending_settled ORDER BY order_id')).map((row) => row.order_id)).toEqual(orders);
      } finally {
        await single.close();
      }
    });

    it('should send a completion without an order id to damaged', async () => {
      await env.backend.push(env.queues.pending, { gateway: fixture.gateway, pending_action: 'complete' });

      const counts = await run();

      expect(counts).toMatchObject({ damaged: 1 });
      const [damaged] = await env.rows<{ error: string }>('SELECT error FROM damaged');
      expect(damaged!.error).toContain('order_id is missing');
    });
  });
});
