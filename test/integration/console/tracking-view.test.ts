import { createLogger } from '../../../lib/log';
import { trackingHistory } from '../../../lib/console/tracking-view';
import { writeTrackingBatch } from '../../../lib/tracking/batch-writer';
import { createTestDatabase, type TestDatabase } from '../../support/database';

const logger = createLogger({ component: 'test' }, { level: 'silent' });

jest.setTimeout(60_000);

describe('trackingHistory', () => {
  let database: TestDatabase;

  beforeEach(async () => {
    database = await createTestDatabase();
  });

  afterEach(async () => {
    await database.drop();
  });

  it('should list the events in the order the merge applies them, one without ts where it arrived', async () => {
    const bodies = [
      { id: '9', ts: '20241127130500', utm_medium: 'first' },
      { id: '9', contribution_id: '91' },
      { id: '9', ts: '20241127130000', utm_medium: 'older' },
    ];
    for (const body of bodies) await writeTrackingBatch(database.pool, [{ key: body.utm_medium ?? 'update', body: JSON.stringify(body) }], logger);

    const history = await trackingHistory(database.db, 9);

    // By ts, the event without one right after the event received before it.
    expect(history.events.map((e) => ({ ts: e.ts, medium: (e.message as Record<string, unknown>).utm_medium ?? null }))).toEqual([
      { ts: '20241127130000', medium: 'older' },
      { ts: '20241127130500', medium: 'first' },
      { ts: null, medium: null },
    ]);
    expect(history.summary).toMatchObject({ ts: '20241127130000' });
  });
});
