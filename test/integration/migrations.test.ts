import { sql } from 'drizzle-orm';
import { migrateDatabase } from '../../lib/db/client';
import { damaged } from '../../lib/db/schema';
import { createTestDatabase, type TestDatabase } from '../support/database';

describe('migrations', () => {
  let database: TestDatabase;

  beforeAll(async () => {
    database = await createTestDatabase();
  });

  afterAll(async () => {
    await database.drop();
  });

  it('should create the damaged table on a fresh database', async () => {
    const [rows] = await database.pool.query("SHOW TABLES LIKE 'damaged'");

    expect(rows).toHaveLength(1);
  });

  it('should be a no-op when applied again', async () => {
    await migrateDatabase(database.url);

    const [rows] = await database.pool.query('SELECT COUNT(*) AS n FROM __drizzle_migrations');
    expect((rows as Array<{ n: number }>)[0]!.n).toBeGreaterThan(0);
  });

  it('should store and return datetimes in UTC', async () => {
    const when = new Date(1468973648 * 1000);
    await database.db.insert(damaged).values({ originalDate: when, damagedDate: when, originalQueue: 'q', message: '{}' });

    const [rows] = await database.pool.query("SELECT DATE_FORMAT(original_date, '%Y-%m-%d %H:%i:%s') AS d FROM damaged");
    const [row] = await database.db.select().from(damaged).where(sql`1 = 1`);
    expect((rows as Array<{ d: string }>)[0]!.d).toBe('2016-07-20 00:14:08');
    expect(row!.originalDate.toISOString()).toBe('2016-07-20T00:14:08.000Z');
  });
});
