import { OrderOutcomesLookup } from '../../../lib/pending/order-lookup';
import { orderKey, PaymentsInitialStore } from '../../../lib/pending/payments-initial-store';
import { SettledOrdersStore } from '../../../lib/pending/settled-orders-store';
import { createTestDatabase, type TestDatabase } from '../../support/database';
import paymentsInit from '../../../fixtures/payments-init.json';

describe('OrderOutcomesLookup', () => {
  let database: TestDatabase;

  beforeAll(async () => {
    database = await createTestDatabase();
  });

  afterAll(async () => {
    await database.drop();
  });

  it('should find, across gateways, the orders that failed outside review and the orders settled', async () => {
    // arrange
    const outcomes = new PaymentsInitialStore(database.db);
    await outcomes.upsertMany([
      { ...paymentsInit, gateway: 'adyen', order_id: 'failed.1', payments_final_status: 'failed', validation_action: 'process' },
      { ...paymentsInit, gateway: 'adyen', order_id: 'reviewed.1', payments_final_status: 'failed', validation_action: 'review' },
      { ...paymentsInit, gateway: 'adyen', order_id: 'complete.1', payments_final_status: 'complete', validation_action: 'process' },
      { ...paymentsInit, gateway: 'ingenico', order_id: 'failed.2', payments_final_status: 'failed', validation_action: undefined },
      { ...paymentsInit, gateway: 'ingenico', order_id: 'failed.1', payments_final_status: 'complete', validation_action: 'process' },
    ]);
    await new SettledOrdersStore(database.db).recordMany([{ gateway: 'adyen', orderId: 'settled.1' }, { gateway: 'paypal', orderId: 'failed.2' }]);
    const asked = ['failed.1', 'reviewed.1', 'complete.1', 'settled.1', 'unknown.1', 'failed.1']
      .map((orderId) => ({ gateway: 'adyen', orderId }))
      .concat([{ gateway: 'ingenico', orderId: 'failed.2' }, { gateway: 'ingenico', orderId: 'failed.1' }, { gateway: 'paypal', orderId: 'failed.2' }]);

    // act
    const found = await new OrderOutcomesLookup(database.db).lookUp(asked);

    // assert
    expect([...found.failed].sort()).toEqual([orderKey('adyen', 'failed.1'), orderKey('ingenico', 'failed.2')].sort());
    expect([...found.settled].sort()).toEqual([orderKey('adyen', 'settled.1'), orderKey('paypal', 'failed.2')].sort());
  });

  it('should ask nothing for no orders', async () => {
    expect(await new OrderOutcomesLookup(database.db).lookUp([])).toEqual({ failed: new Set(), settled: new Set() });
  });
});
