import { MalformedMessageError } from '../../../lib/errors';
import { PendingStore } from '../../../lib/pending/pending-store';
import { createTestDatabase, type TestDatabase } from '../../support/database';
import fixture from '../../../fixtures/pending-message.json';

describe('PendingStore', () => {
  let database: TestDatabase;
  let store: PendingStore;

  beforeAll(async () => {
    database = await createTestDatabase();
    store = new PendingStore(database.db);
  });

  afterAll(async () => {
    await database.drop();
  });

  beforeEach(async () => {
    await database.pool.query('DELETE FROM pending');
  });

  const message = (overrides: Record<string, unknown> = {}) => ({ ...fixture, ...overrides });

  async function dbDates(): Promise<string[]> {
    const [rows] = await database.pool.query("SELECT DATE_FORMAT(date, '%Y-%m-%d %H:%i:%s') AS d FROM pending ORDER BY id");
    return (rows as Array<{ d: string }>).map((row) => row.d);
  }

  it('should store unix time 1468973648 as 2016-07-20 00:14:08 (UTC)', async () => {
    await store.store(message({ date: 1468973648 }));

    expect(await dbDates()).toEqual(['2016-07-20 00:14:08']);
  });

  it('should store dates given as ISO strings and as YYYY-mm-dd HH:MM:SS in UTC', async () => {
    await store.store(message({ date: '2016-07-20T02:14:08+02:00', order_id: 'iso.1' }));
    await store.store(message({ date: '2016-07-20 00:14:08', order_id: 'plain.1' }));

    expect(await dbDates()).toEqual(['2016-07-20 00:14:08', '2016-07-20 00:14:08']);
  });

  it('should fill the indexed columns and keep the whole message as parsed JSON', async () => {
    const id = await store.store(message());

    const row = await store.fetchByGatewayOrderId('astropay', '48213377.1');
    expect(row).toMatchObject({ id, gateway: 'astropay', gatewayAccount: 'default', orderId: '48213377.1', gatewayTxnId: null, paymentMethod: 'cc', isResolved: false });
    expect(row!.message).toEqual(fixture);
    expect(row!.date.toISOString()).toBe(new Date(fixture.date * 1000).toISOString());
  });

  it('should update the row a message names with pending_id instead of inserting', async () => {
    const id = await store.store(message());

    await store.store(message({ pending_id: id, gateway_txn_id: 'TX-9', response: 'approved' }));

    const [rows] = await database.pool.query('SELECT id, gateway_txn_id FROM pending');
    expect(rows).toEqual([{ id, gateway_txn_id: 'TX-9' }]);
    const row = await store.fetchByGatewayOrderId('astropay', '48213377.1');
    expect(row!.message).toMatchObject({ response: 'approved' });
    expect(row!.message).not.toHaveProperty('pending_id');
  });

  it('should store a message it already holds once and resolve with the existing row id', async () => {
    const first = await store.store(message());

    const again = await store.store(message({ date: '2024-11-27 13:00:00', source_run_id: 7 }));

    expect(again).toBe(first);
    const [rows] = await database.pool.query('SELECT id FROM pending');
    expect(rows).toEqual([{ id: first }]);
  });

  it('should refuse a message without gateway, or without both order id and transaction id', async () => {
    await expect(store.store(message({ gateway: undefined }))).rejects.toThrow(MalformedMessageError);
    await expect(store.store(message({ order_id: undefined }))).rejects.toThrow('order_id and gateway_txn_id are both missing');
  });

  it('should prefer the row whose gateway transaction id matches the hint when rows share an order id', async () => {
    await store.store(message({ gateway_txn_id: 'A', date: 1000 }));
    await store.store(message({ gateway_txn_id: 'B', date: 2000 }));

    expect((await store.fetchByGatewayOrderId('astropay', '48213377.1', 'A'))!.gatewayTxnId).toBe('A');
    expect((await store.fetchByGatewayOrderId('astropay', '48213377.1', 'B'))!.gatewayTxnId).toBe('B');
    expect((await store.fetchByGatewayOrderId('astropay', '48213377.1'))!.gatewayTxnId).toBe('B');
    expect(await store.fetchByGatewayOrderId('astropay', 'nope')).toBeNull();
    expect(await store.fetchByGatewayOrderId('other', '48213377.1')).toBeNull();
  });

  it('should return the earlier date as oldest even when that row was inserted later', async () => {
    await store.store(message({ order_id: 'late.1', date: 2000 }));
    await store.store(message({ order_id: 'early.1', date: 1000 }));

    expect((await store.fetchOldestOrders('astropay', [], 1)).map((row) => row.orderId)).toEqual(['early.1']);
  });

  it('should skip resolved rows and filter by payment method when fetching the oldest', async () => {
    const first = await store.store(message({ order_id: 'a.1', date: 1000, payment_method: 'cc' }));
    await store.store(message({ order_id: 'b.1', date: 2000, payment_method: 'rtbt' }));
    await store.store(message({ order_id: 'c.1', date: 3000, payment_method: 'cc' }));
    await store.resolveRow(first, 'mark-resolved');

    expect((await store.fetchOldestOrders('astropay', [], 1)).map((row) => row.orderId)).toEqual(['b.1']);
    expect((await store.fetchOldestOrders('astropay', ['cc'], 1)).map((row) => row.orderId)).toEqual(['c.1']);
    expect(await store.fetchOldestOrders('paypal', [], 1)).toEqual([]);
  });

  it('should return the oldest row of each of the N oldest orders, oldest first', async () => {
    await store.store(message({ order_id: 'a.1', date: 1000 }));
    await store.store(message({ order_id: 'a.1', date: 1500, response: 'second attempt' }));
    await store.store(message({ order_id: 'b.1', date: 2000 }));
    await store.store(message({ order_id: 'c.1', date: 3000 }));

    const oldest = await store.fetchOldestOrders('astropay', [], 2);

    expect(oldest.map((row) => [row.orderId, row.date.getTime() / 1000])).toEqual([['a.1', 1000], ['b.1', 2000]]);
  });

  it('should return the newest N rows of a gateway, newest first', async () => {
    for (const [order, date] of [['a.1', 1000], ['b.1', 3000], ['c.1', 2000]] as const) await store.store(message({ order_id: order, date }));
    await store.store(message({ gateway: 'paypal', order_id: 'd.1', date: 9000 }));

    expect((await store.fetchNewest('astropay', 2)).map((row) => row.orderId)).toEqual(['b.1', 'c.1']);
  });

  it('should delete every row of an order and nothing else', async () => {
    await store.store(message({ gateway_txn_id: 'A' }));
    await store.store(message({ gateway_txn_id: 'B' }));
    await store.store(message({ order_id: 'other.1' }));
    await store.store(message({ gateway: 'paypal' }));

    expect(await store.deleteOrder('astropay', '48213377.1')).toBe(2);

    const [rows] = await database.pool.query('SELECT gateway, order_id FROM pending ORDER BY id');
    expect(rows).toEqual([{ gateway: 'astropay', order_id: 'other.1' }, { gateway: 'paypal', order_id: '48213377.1' }]);
  });

  it('should expire rows older than a date by deleting or marking them, optionally per gateway', async () => {
    await store.store(message({ order_id: 'old.1', date: 1000 }));
    await store.store(message({ order_id: 'old.2', date: 1001, gateway: 'paypal' }));
    await store.store(message({ order_id: 'new.1', date: 5000 }));
    const cutoff = new Date(2000 * 1000);

    expect(await store.expireOlderThan(cutoff, { gateway: 'paypal', mode: 'mark-resolved', batchSize: 10 })).toBe(1);
    expect(await store.expireOlderThan(cutoff, { mode: 'delete', batchSize: 10 })).toBe(2);

    const [rows] = await database.pool.query('SELECT order_id FROM pending');
    expect(rows).toEqual([{ order_id: 'new.1' }]);
  });
});
