/**
 * A tracking batch whose bodies together are more than the server's max_allowed_packet (MariaDB's
 * default 16 MB, set explicitly on a private mariadbd so that the case does not depend on the
 * shared server's setting): the consumer runner hands it to the writer in parts small enough for
 * one statement each (HANDLER_BATCH_MAX_CHARS), so no statement kills the connection.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Redis from 'ioredis';
import type { RowDataPacket } from 'mysql2/promise';
import { createDamagedStore } from '../../../lib/consumer/damaged-store';
import { DEFAULT_RETRY_POLICY } from '../../../lib/consumer/retry-policy';
import { migrateDatabase, openDatabase, type Database } from '../../../lib/db/client';
import { createLogger } from '../../../lib/log';
import { RedisQueueBackend } from '../../../lib/queue';
import { consumeContributionTracking } from '../../../lib/tracking/consumer';
import { startPrivateMariadb, type PrivateMariadb } from '../../../scripts/stack/mariadb';

jest.setTimeout(120_000);

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const logger = createLogger({ component: 'test' }, { level: 'silent' });

describe('consumeContributionTracking with a batch larger than max_allowed_packet', () => {
  let dir: string;
  let server: PrivateMariadb;
  let database: Database;
  let redis: Redis;
  let backend: RedisQueueBackend;
  const queue = `test-tracking-refused-${randomBytes(4).toString('hex')}`;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'tracking-refused-'));
    server = await startPrivateMariadb({ dir, log: () => undefined, args: ['--max-allowed-packet=16M'] });
    const url = `${server.url}tracking_refused`;
    await migrateDatabase(url);
    database = openDatabase(url);
    redis = new Redis(REDIS_URL);
    backend = new RedisQueueBackend({ redis });
  });

  afterAll(async () => {
    await backend?.purge(queue);
    await backend?.close();
    redis?.disconnect();
    await database?.close();
    await server?.halt();
    rmSync(dir, { recursive: true, force: true });
  });

  it('should store every message of a batch too large for one statement, none of them in damaged', async () => {
    // arrange: 70 messages of 240 KB, each well under the queue's limit, together 16.8 MB
    const note = 'n'.repeat(240_000);
    const ids = Array.from({ length: 70 }, (_, i) => String(i + 1));
    for (const chunk of [ids.slice(0, 35), ids.slice(35)]) await backend.pushBatch(queue, chunk.map((id) => ({ id, ts: '20261204090000', utm_source: 'B1.LP.cc', note })));

    // act
    const counts = await consumeContributionTracking({
      backend, pool: database.pool, damagedStore: createDamagedStore(database.db), retryPolicy: DEFAULT_RETRY_POLICY, logger,
      queue, sequenceKey: `test:${queue}:ids`, batchSize: 1000, timeLimitSeconds: 0, messageLimit: 0,
    });

    // assert
    expect(counts).toMatchObject({ processed: 70, succeeded: 70, damaged: 0 });
    const [summary] = await database.pool.query<RowDataPacket[]>('SELECT COUNT(*) AS n FROM contribution_tracking');
    const [damaged] = await database.pool.query<RowDataPacket[]>('SELECT COUNT(*) AS n FROM damaged');
    expect([Number(summary[0]!.n), Number(damaged[0]!.n)]).toEqual([70, 0]);
  });
});
