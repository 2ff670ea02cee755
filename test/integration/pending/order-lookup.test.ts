import { DATABASE_COLLATION, openDatabase } from '../../../lib/db/client';
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

  it('should find, across gateways, the orders whose attempt ended unpaid with nothing left to take it, and the orders settled', async () => {
    // arrange: the legacy rule's cases (pendingRowsObsolete)
    const outcomes = new PaymentsInitialStore(database.db);
    await outcomes.upsertMany([
      { ...paymentsInit, gateway: 'ingenico', order_id: 'failed.1', payments_final_status: 'failed', validation_action: 'process' },
      { ...paymentsInit, gateway: 'ingenico', order_id: 'cancelled.1', payments_final_status: 'cancelled', validation_action: undefined },
      { ...paymentsInit, gateway: 'ingenico', order_id: 'reviewed.1', payments_final_status: 'failed', validation_action: 'review' },
      { ...paymentsInit, gateway: 'ingenico', order_id: 'rejected.1', payments_final_status: 'failed', validation_action: 'reject' },
      { ...paymentsInit, gateway: 'paypal', order_id: 'rejected.1', payments_final_status: 'failed', validation_action: 'reject' },
      { ...paymentsInit, gateway: 'adyen', order_id: 'failed.1', payments_final_status: 'failed', validation_action: 'process' },
      { ...paymentsInit, gateway: 'dlocal', order_id: 'failed.1', payments_final_status: 'cancelled', validation_action: 'process' },
      { ...paymentsInit, gateway: 'ingenico', order_id: 'complete.1', payments_final_status: 'complete', validation_action: 'process' },
    ]);
    await new SettledOrdersStore(database.db).recordMany([{ gateway: 'adyen', orderId: 'settled.1' }, { gateway: 'paypal', orderId: 'failed.2' }]);
    const asked = [
      ['ingenico', 'failed.1'], ['ingenico', 'cancelled.1'], ['ingenico', 'reviewed.1'], ['ingenico', 'rejected.1'], ['paypal', 'rejected.1'],
      ['adyen', 'failed.1'], ['dlocal', 'failed.1'], ['ingenico', 'complete.1'], ['adyen', 'settled.1'], ['paypal', 'failed.2'], ['adyen', 'unknown.1'], ['ingenico', 'failed.1'],
    ].map(([gateway, orderId]) => ({ gateway: gateway!, orderId: orderId! }));

    // act
    const found = await new OrderOutcomesLookup(database.db).lookUp(asked);

    // assert
    expect([...found.failed].sort()).toEqual([orderKey('ingenico', 'failed.1'), orderKey('ingenico', 'cancelled.1'), orderKey('paypal', 'rejected.1')].sort());
    expect([...found.settled].sort()).toEqual([orderKey('adyen', 'settled.1'), orderKey('paypal', 'failed.2')].sort());
  });

  it("should compare order ids in the tables' collation, as the index does", async () => {
    // arrange: utf8mb4_unicode_ci ignores case, so an id that differs only in case is the same order
    await new SettledOrdersStore(database.db).recordMany([{ gateway: 'adyen', orderId: 'CaseSettled.1' }]);

    // act
    const found = await new OrderOutcomesLookup(database.db).lookUp([{ gateway: 'adyen', orderId: 'casesettled.1' }]);

    // assert: the key is the stored row's
    expect([...found.settled]).toEqual([orderKey('adyen', 'CaseSettled.1')]);
  });

  it('should find an order whose id has quotes, a backslash and characters beyond ASCII', async () => {
    // arrange: the ids travel inside a JSON parameter, so JSON's escapes must come back as they were
    const orderId = `o'r"d\\er-ü-€-😀.1`;
    await new SettledOrdersStore(database.db).recordMany([{ gateway: 'adyen', orderId }]);

    // act
    const found = await new OrderOutcomesLookup(database.db).lookUp([{ gateway: 'adyen', orderId }]);

    // assert
    expect([...found.settled]).toEqual([orderKey('adyen', orderId)]);
  });

  it("should still look up when the database's default collation is not its tables'", async () => {
    // arrange: a database altered after its tables were made; the orders sent as JSON must not
    // take its default, which the server would refuse to compare with the tables' columns
    await database.pool.query(`ALTER DATABASE \`${database.name}\` DEFAULT COLLATE utf8mb4_general_ci`);
    // A session takes the database's default when it connects: a fresh pool sees the new one.
    const altered = openDatabase(database.url, { connectionLimit: 1 });
    try {
      await new SettledOrdersStore(database.db).recordMany([{ gateway: 'adyen', orderId: 'collation.1' }]);

      // act
      const found = await new OrderOutcomesLookup(altered.db).lookUp([{ gateway: 'adyen', orderId: 'collation.1' }]);

      // assert
      expect([...found.settled]).toEqual([orderKey('adyen', 'collation.1')]);
    } finally {
      await altered.close();
      await database.pool.query(`ALTER DATABASE \`${database.name}\` DEFAULT COLLATE ${DATABASE_COLLATION}`);
    }
  });

  it("should find a whole batch's outcomes, a thousand orders over several gateways", async () => {
    // arrange: every third order failed (at a gateway that does not reuse order ids), every fifth settled
    const asked = Array.from({ length: 1000 }, (_, i) => ({ gateway: ['ingenico', 'paypal', 'adyen'][i % 3]!, orderId: `batch.${i}` }));
    await new PaymentsInitialStore(database.db).upsertMany(
      asked.filter((_, i) => i % 3 === 0).map(({ gateway, orderId }) => ({ ...paymentsInit, gateway, order_id: orderId, payments_final_status: 'failed', validation_action: 'process' })),
    );
    await new SettledOrdersStore(database.db).recordMany(asked.filter((_, i) => i % 5 === 0));

    // act
    const found = await new OrderOutcomesLookup(database.db).lookUp(asked);

    // assert
    expect([...found.failed].sort()).toEqual(asked.filter((_, i) => i % 3 === 0).map(({ gateway, orderId }) => orderKey(gateway, orderId)).sort());
    expect([...found.settled].sort()).toEqual(asked.filter((_, i) => i % 5 === 0).map(({ gateway, orderId }) => orderKey(gateway, orderId)).sort());
  });

  it('should ask nothing for no orders', async () => {
    expect(await new OrderOutcomesLookup(database.db).lookUp([])).toEqual({ failed: new Set(), settled: new Set() });
  });

  it.each(['utf8mb4_general_ci', 'utf8mb4_bin'])(
    'should look up in a database created beforehand in %s, whose tables the migrations made in it',
    async (collation) => {
      // arrange: an administrator's database, not one migrateDatabase created
      const own = await createTestDatabase({ createdWith: `CHARACTER SET utf8mb4 COLLATE ${collation}` });
      try {
        await new SettledOrdersStore(own.db).recordMany([{ gateway: 'adyen', orderId: 'precreated.1' }]);
        await new PaymentsInitialStore(own.db).upsertMany([{ ...paymentsInit, gateway: 'ingenico', order_id: 'precreated.2', payments_final_status: 'failed', validation_action: 'process' }]);

        // act
        const found = await new OrderOutcomesLookup(own.db).lookUp([{ gateway: 'adyen', orderId: 'precreated.1' }, { gateway: 'ingenico', orderId: 'precreated.2' }]);

        // assert
        expect([...found.settled]).toEqual([orderKey('adyen', 'precreated.1')]);
        expect([...found.failed]).toEqual([orderKey('ingenico', 'precreated.2')]);
      } finally {
        await own.drop();
      }
    },
  );
});
