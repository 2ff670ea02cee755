import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { promisify } from 'node:util';
import Redis from 'ioredis';
import { invocationTotalsKey } from '../../../lib/console/invocation-figures';
import { createDamagedStore } from '../../../lib/consumer/damaged-store';
import { RedisQueueBackend } from '../../../lib/queue';
import { startRedisServer, type PrivateRedisServer } from '../../../scripts/stack/redis-server';
import { createTestDatabase, type TestDatabase } from '../../support/database';

const run = promisify(execFile);
const ROOT = path.resolve(__dirname, '../../..');

// Bundles the handler with esbuild and runs it the way `sls invoke local` does: about 10-15 s.
describe('serverless.yml requeue-damaged (sls invoke local)', () => {
  // A private Redis: the invocation records itself under the local stage's keys (lib/console/
  // invocation-figures.ts), which a developer's own local runs share; here they go with the server.
  let server: PrivateRedisServer;
  let database: TestDatabase;
  let backend: RedisQueueBackend;
  const queue = `itest-sls-${randomBytes(4).toString('hex')}`;

  beforeAll(async () => {
    server = await startRedisServer();
    database = await createTestDatabase();
    backend = new RedisQueueBackend({ url: server.url });
  });

  afterAll(async () => {
    await backend.purge(queue);
    await backend.close();
    await database.drop();
    await server.stop();
  });

  it('should requeue due damaged rows and print its counts without validation warnings, recording the invocation for the console', async () => {
    const redis = new Redis(server.url);
    const recorded = async () => Number((await redis.hget(invocationTotalsKey('local', 'requeue-damaged'), 'invocations')) ?? 0);
    await createDamagedStore(database.db).insert({ queue, body: '{"order_id":"sls.1"}', error: 'later', retryDate: new Date(Date.now() - 1000) });

    // With stdin not a terminal, invoke local reads the event from it: closed at once here.
    const invocation = run('npx', ['sls', 'invoke', 'local', '-f', 'requeue-damaged', '--stage', 'local'], {
      cwd: ROOT,
      env: { ...process.env, SLS_TELEMETRY_DISABLED: '1', SLS_NOTIFICATIONS_MODE: 'off', DATABASE_URL: database.url, REDIS_URL: server.url, LOG_LEVEL: 'warn' },
      timeout: 90_000,
    });
    invocation.child.stdin?.end();
    const { stdout, stderr } = await invocation;

    expect(`${stdout}\n${stderr}`).not.toMatch(/warning/i);
    // The handler's result is printed as indented JSON between a line `{` and a line `}`.
    const lines = stdout.split('\n');
    const result = JSON.parse(lines.slice(lines.indexOf('{'), lines.indexOf('}') + 1).join('\n'));
    expect(result).toEqual({ requeued: 1, unrequeueable: 0, byQueue: { [queue]: 1 } });
    expect(JSON.parse((await backend.peek(queue, 1))[0]!)).toMatchObject({ order_id: 'sls.1' });
    expect(await recorded()).toBe(1);
    redis.disconnect();
  }, 120_000);
});
