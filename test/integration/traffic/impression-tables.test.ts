/**
 * The readers the soak checks the impressions tables with: they must read the facts first and
 * look each dimension up by its key, whatever the index statistics say. The soak's private
 * database, freshly filled, had statistics that still said empty, and the optimizer started from
 * the dimensions instead: the check of one 12-minute run ran for more than five minutes.
 */
import type mysql from 'mysql2/promise';
import { ImpressionsLoader, type RawMessage } from '../../../lib/impressions/batch-commit';
import { createLogger } from '../../../lib/log';
import { createTestDatabase, type TestDatabase } from '../../support/database';
import { expectedCells, generateBannerEvents } from '../../../scripts/traffic/impression-events';
import { BANNER_CELLS_SQL, LANDING_PAGE_ROWS_SQL, readBannerCells } from '../../../scripts/traffic/impression-tables';

describe('impression table readers', () => {
  let database: TestDatabase;

  beforeAll(async () => {
    database = await createTestDatabase();
  });

  afterAll(async () => {
    await database.drop();
  });

  const planOf = async (statement: string) => {
    const [rows] = await database.pool.query<mysql.RowDataPacket[]>(`EXPLAIN ${statement}`);
    return rows.map((row) => ({ table: row.table as string, type: row.type as string }));
  };

  it('should read the banner cells from the facts, each dimension by its primary key', async () => {
    // Arrange: cells in the table and statistics that still say empty, as in a soak's fresh database.
    const events = generateBannerEvents({ count: 500, partitions: 1, seed: 3, minutes: 5 });
    const loader = new ImpressionsLoader({ db: database.db, pool: database.pool, logger: createLogger({}, { level: 'silent' }) });
    const messages: RawMessage[] = events.map((event, offset) => ({ offset, value: JSON.stringify(event.body) }));
    await loader.applyBatch({ consumerGroup: 'readers', topic: { topic: 'banner', kind: 'banner', factor: 100 }, partition: 0, messages });

    // Act
    const plan = await planOf(BANNER_CELLS_SQL);

    // Assert
    expect(plan).toEqual([{ table: 'b', type: 'ALL' }, { table: 'p', type: 'eq_ref' }, { table: 'l', type: 'eq_ref' }, { table: 'c', type: 'eq_ref' }]);
    expect(await readBannerCells(database.pool)).toEqual(expectedCells(events, 100));
  });

  it('should read the landing page rows from the facts, each dimension by its primary key', async () => {
    // Act
    const plan = await planOf(LANDING_PAGE_ROWS_SQL);

    // Assert
    expect(plan.map((step) => step.table)).toEqual(['r', 'p', 'l', 'c']);
    expect(plan.slice(1).map((step) => step.type)).toEqual(['eq_ref', 'eq_ref', 'eq_ref']);
  });
});
