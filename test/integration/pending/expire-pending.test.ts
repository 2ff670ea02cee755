import { expirePending } from '../../../lib/pending/expire-pending';
import { PendingStore } from '../../../lib/pending/pending-store';
import { SettledOrdersStore } from '../../../lib/pending/settled-orders-store';
import { createTestDatabase, type TestDatabase } from '../../support/database';
import fixture from '../../../fixtures/pending-message.json';

describe('expirePending', () => {
  let database: TestDatabase;
  let store: PendingStore;
  const now = new Date('2024-12-31T00:00:00Z');
  const daysAgo = (days: number) => Math.floor(now.getTime() / 1000) - days * 86_400;

  beforeAll(async () => {
    database = await createTestDatabase();
    store = new PendingStore(database.db);
  });

  afterAll(async () => {
    await database.drop();
  });

  beforeEach(async () => {
    await database.pool.query('DELETE FROM pending');
    await database.pool.query('DELETE FROM pending_settled');
    for (const [order, days, gateway] of [['a.1', 40, 'astropay'], ['b.1', 31, 'paypal'], ['c.1', 31, 'astropay'], ['d.1', 29, 'astropay']] as const) {
      await store.store({ ...fixture, order_id: order, gateway, date: daysAgo(days) });
    }
  });

  const remaining = async () => {
    const [rows] = await database.pool.query('SELECT order_id, is_resolved FROM pending ORDER BY order_id');
    return rows;
  };

  it('should delete rows older than N days in batches and keep younger ones', async () => {
    const result = await expirePending(database.db, { days: 30, mode: 'delete', batchSize: 2, timeLimitSeconds: 10, rowLimit: 0, now });

    expect(result).toEqual({ expired: 3, settledExpired: 0, cutoff: '2024-12-01T00:00:00.000Z', stoppedBecause: 'empty' });
    expect(await remaining()).toEqual([{ order_id: 'd.1', is_resolved: 0 }]);
  });

  it('should delete the records of orders settled before the cutoff, of every gateway', async () => {
    const settled = new SettledOrdersStore(database.db);
    await settled.record('astropay', 'old.1', new Date(daysAgo(31) * 1000));
    await settled.record('paypal', 'old.2', new Date(daysAgo(45) * 1000));
    await settled.record('astropay', 'new.1', new Date(daysAgo(29) * 1000));

    const result = await expirePending(database.db, { days: 30, gateway: 'astropay', mode: 'delete', batchSize: 1, timeLimitSeconds: 10, rowLimit: 0, now });

    expect(result.settledExpired).toBe(2);
    const [rows] = await database.pool.query('SELECT order_id FROM pending_settled');
    expect(rows).toEqual([{ order_id: 'new.1' }]);
  });

  it('should only touch the configured gateway and can mark rows resolved instead', async () => {
    const result = await expirePending(database.db, { days: 30, gateway: 'astropay', mode: 'mark-resolved', batchSize: 10, timeLimitSeconds: 10, rowLimit: 0, now });

    expect(result.expired).toBe(2);
    expect(await remaining()).toEqual([
      { order_id: 'a.1', is_resolved: 1 },
      { order_id: 'b.1', is_resolved: 0 },
      { order_id: 'c.1', is_resolved: 1 },
      { order_id: 'd.1', is_resolved: 0 },
    ]);
  });

  it('should stop at the row limit, oldest first', async () => {
    const result = await expirePending(database.db, { days: 30, mode: 'delete', batchSize: 10, timeLimitSeconds: 10, rowLimit: 1, now });

    expect(result).toMatchObject({ expired: 1, stoppedBecause: 'row-limit' });
    expect((await remaining()) as unknown[]).toHaveLength(3);
    expect(await store.fetchByGatewayOrderId('astropay', 'a.1')).toBeNull();
  });
});
