import type { RowDataPacket } from 'mysql2/promise';
import { createTestDatabase, type TestDatabase } from '../../support/database';

jest.setTimeout(60_000);

describe('contribution_tracking indexes', () => {
  let database: TestDatabase;

  beforeAll(async () => {
    database = await createTestDatabase();
  });

  afterAll(async () => {
    await database.drop();
  });

  it('should have the legacy secondary indexes under their legacy names and column order', async () => {
    const [rows] = await database.pool.query<RowDataPacket[]>('SHOW INDEX FROM contribution_tracking');

    const indexes: Record<string, { unique: boolean; columns: string[] }> = {};
    for (const row of [...rows].sort((a, b) => Number(a.Seq_in_index) - Number(b.Seq_in_index))) {
      const entry = (indexes[String(row.Key_name)] ??= { unique: Number(row.Non_unique) === 0, columns: [] });
      entry.columns.push(String(row.Column_name));
    }
    expect(indexes).toEqual({
      PRIMARY: { unique: true, columns: ['id'] },
      contribution_id: { unique: true, columns: ['contribution_id'] },
      ts: { unique: false, columns: ['ts'] },
      utm_source_id: { unique: false, columns: ['utm_source'] },
      utm_medium_id: { unique: false, columns: ['utm_medium'] },
      utm_campaign_id: { unique: false, columns: ['utm_campaign'] },
      language: { unique: false, columns: ['language'] },
    });
  });
});
