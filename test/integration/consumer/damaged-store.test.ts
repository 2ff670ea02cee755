import { randomBytes } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { createDamagedStore } from '../../../lib/consumer/damaged-store';
import { damaged } from '../../../lib/db/schema';
import { createTestDatabase, type TestDatabase } from '../../support/database';

// Per-project testTimeout is ignored in multi-project runs; creating a database may take a while.
jest.setTimeout(30_000);

describe('createDamagedStore (MariaDB)', () => {
  let database: TestDatabase;
  const queue = () => `itest-damaged-${randomBytes(4).toString('hex')}`;

  beforeAll(async () => {
    database = await createTestDatabase();
  });

  afterAll(async () => {
    await database.drop();
  });

  it('should store any message, however odd, with its raw body intact', async () => {
    const store = createDamagedStore(database.db);
    const q = queue();
    const body = JSON.stringify({ gateway: ['x', 'y'], order_id: `${'9'.repeat(300)}`, gateway_txn_id: 12.5, note: '💶 '.repeat(200_000) });
    const hugeError = new Error('ü'.repeat(70_000));

    await store.insert({ queue: q, body, error: hugeError });
    await store.insert({ queue: q, body: '\u0000binary\u00ff', error: 'not json at all' });

    const rows = await database.db.select().from(damaged).where(eq(damaged.originalQueue, q)).orderBy(damaged.id);
    expect(rows).toHaveLength(2);
    expect(rows[0]!.message).toBe(body);
    expect(rows[0]).toMatchObject({ gateway: '["x","y"]', gatewayTxnId: '12.5' });
    expect(rows[0]!.orderId).toHaveLength(255);
    expect(rows[0]!.error!.endsWith('[truncated]')).toBe(true);
    expect(rows[1]!.message).toBe('\u0000binary\u00ff');
  });

  it('should list only rows whose retry date has passed, oldest first, and delete them by id', async () => {
    const store = createDamagedStore(database.db);
    const q = queue();
    const now = new Date();
    await store.insert({ queue: q, body: '{"n":"later"}', error: 'x', retryDate: new Date(now.getTime() + 60_000) });
    await store.insert({ queue: q, body: '{"n":"second"}', error: 'x', retryDate: new Date(now.getTime() - 10_000) });
    await store.insert({ queue: q, body: '{"n":"first"}', error: 'x', retryDate: new Date(now.getTime() - 20_000) });
    await store.insert({ queue: q, body: '{"n":"never"}', error: 'x' });

    const due = (await store.listDueForRetry(now, 10)).filter((row) => row.originalQueue === q);

    expect(due.map((row) => row.message)).toEqual(['{"n":"first"}', '{"n":"second"}']);
    expect(await store.deleteByIds(due.map((row) => row.id))).toBe(2);
    expect((await database.db.select().from(damaged).where(eq(damaged.originalQueue, q))).map((r) => r.message).sort()).toEqual(['{"n":"later"}', '{"n":"never"}']);
  });
});
