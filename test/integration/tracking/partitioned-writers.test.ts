/**
 * Writers of different partitions of the tracking queue at once (lib/tracking/transaction.ts):
 * each holds only its partitions' writer locks, so what crosses ids, the uniqueness of
 * contribution_id, is decided by the database. Two SQS-triggered invocations (two message groups
 * of the FIFO queue, in partitions of their own) claim the same contribution ids for different
 * tracking ids at the same moment.
 */
import type { RowDataPacket } from 'mysql2/promise';
import { createDamagedStore } from '../../../lib/consumer/damaged-store';
import { DEFAULT_RETRY_POLICY } from '../../../lib/consumer/retry-policy';
import { createLogger } from '../../../lib/log';
import { partitionOfKey, type PartitionSpec } from '../../../lib/queue/partitions';
import type { SqsEvent } from '../../../lib/queue/sqs/lambda-event';
import { consumeContributionTrackingSqsEvent } from '../../../lib/tracking/consumer';
import { rebuildTrackingSummary } from '../../../lib/tracking/rebuild';
import { writerLocks } from '../../../lib/tracking/transaction';
import { createTestDatabase, type TestDatabase } from '../../support/database';

jest.setTimeout(60_000);

const logger = createLogger({ component: 'test' }, { level: 'silent' });
const SPEC: PartitionSpec = { queue: 'contribution-tracking', partitions: 8, partitionKey: 'id' };

/** The first `count` tracking ids from `from` on that route to `partition`. */
function idsOfPartition(partition: number, count: number, from: number): number[] {
  const ids: number[] = [];
  for (let id = from; ids.length < count; id++) if (partitionOfKey(String(id), SPEC.partitions) === partition) ids.push(id);
  return ids;
}

function sqsEvent(group: string, bodies: object[]): SqsEvent {
  return {
    Records: bodies.map((body, i) => ({
      messageId: `${group}-${i}`,
      receiptHandle: `receipt-${group}-${i}`,
      body: JSON.stringify(body),
      attributes: { ApproximateReceiveCount: '1', SentTimestamp: String(Date.now()), MessageGroupId: group },
      eventSource: 'aws:sqs',
      eventSourceARN: 'arn:aws:sqs:us-east-1:000000000000:test-contribution-tracking.fifo',
    })),
  };
}

describe('tracking writers of different partitions', () => {
  let database: TestDatabase;

  beforeEach(async () => {
    database = await createTestDatabase();
  });

  afterEach(async () => {
    await database.drop();
  });

  const rows = async (sql: string) => (await database.pool.query<RowDataPacket[]>(sql))[0];

  it('should take the writer locks of the partitions a batch touches, ascending, and the one lock without partitions', () => {
    const [a] = idsOfPartition(5, 1, 1);
    const [b] = idsOfPartition(2, 1, 1);
    const [c] = idsOfPartition(5, 2, a! + 1).slice(1);

    expect(writerLocks(SPEC, [a!, b!, c!])).toEqual(['contribution_tracking_writer#2', 'contribution_tracking_writer#5']);
    expect(writerLocks(undefined, [a!, b!])).toEqual(['contribution_tracking_writer']);
  });

  it('should store exactly one of two concurrent claims of a contribution_id and keep the other in damaged as ContributionIdConflictError', async () => {
    // arrange: 30 ids of partition 1 and 30 of partition 6, pair i claiming contribution 9000 + i
    const pairs = 30;
    const left = idsOfPartition(1, pairs, 1000);
    const right = idsOfPartition(6, pairs, 1000);
    const claim = (id: number, i: number) => ({ id: String(id), ts: '20261203100000', contribution_id: String(9000 + i), utm_source: `claim-${id}` });
    const options = { pool: database.pool, damagedStore: createDamagedStore(database.db), retryPolicy: DEFAULT_RETRY_POLICY, logger, queue: SPEC.queue, partitionSpec: SPEC };

    // act: two invocations at once, as Lambda runs two message groups' batches
    const responses = await Promise.all([
      consumeContributionTrackingSqsEvent(sqsEvent('left', left.map(claim)), options),
      consumeContributionTrackingSqsEvent(sqsEvent('right', right.map(claim)), options),
    ]);

    // assert
    expect(responses).toEqual([{ batchItemFailures: [] }, { batchItemFailures: [] }]);
    const claimed = await rows('SELECT id, contribution_id, utm_source FROM contribution_tracking WHERE contribution_id IS NOT NULL ORDER BY contribution_id');
    expect(claimed).toHaveLength(pairs);
    for (const [i, row] of claimed.entries()) {
      expect(row.contribution_id).toBe(9000 + i);
      expect([left[i], right[i]]).toContain(row.id);
      // The row is its own tracking id's, not overwritten by the other claim.
      expect(row.utm_source).toBe(`claim-${row.id}`);
    }
    const damaged = await rows('SELECT error, message FROM damaged ORDER BY id');
    expect(damaged).toHaveLength(pairs);
    for (const row of damaged) expect(row.error).toMatch(/^ContributionIdConflictError: contribution_id conflict for contribution tracking id \d+: contribution_id \d+ already belongs to/);
    const lost = new Set(damaged.map((row) => Number(JSON.parse(String(row.message)).id)));
    expect(claimed.every((row) => !lost.has(Number(row.id)))).toBe(true);
    expect((await rebuildTrackingSummary(database.pool, logger, { check: true, partitionSpec: SPEC })).differing).toEqual([]);
  });
});
