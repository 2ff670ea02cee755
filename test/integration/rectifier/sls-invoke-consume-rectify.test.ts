import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { promisify } from 'node:util';
import { RedisQueueBackend } from '../../../lib/queue';
import { createTestDatabase, type TestDatabase } from '../../support/database';

const run = promisify(execFile);
const ROOT = path.resolve(__dirname, '../../..');
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

// Bundles the handler with esbuild and runs it the way `sls invoke local` does: about 10-15 s.
describe('serverless.yml consume-rectify (sls invoke local)', () => {
  let database: TestDatabase;
  let backend: RedisQueueBackend;
  const queue = `itest-sls-rectify-${randomBytes(4).toString('hex')}`;

  beforeAll(async () => {
    database = await createTestDatabase();
    backend = new RedisQueueBackend({ url: REDIS_URL });
  });

  afterAll(async () => {
    await backend.purge(queue);
    await backend.close();
    await database.drop();
  });

  it('should consume a trigger of a gateway nobody rectifies and print its counts without validation warnings', async () => {
    await backend.push(queue, { gateway: 'not-rectified', due: 1 });

    const invocation = run('npx', ['sls', 'invoke', 'local', '-f', 'consume-rectify', '--stage', 'local'], {
      cwd: ROOT,
      env: { ...process.env, SLS_TELEMETRY_DISABLED: '1', SLS_NOTIFICATIONS_MODE: 'off',
        // not recorded: the local stage's invocation totals belong to a developer's own runs
        INVOCATION_FIGURES_KEPT_DAYS: '0', DATABASE_URL: database.url, REDIS_URL, RECTIFY_QUEUE: queue, LOG_LEVEL: 'warn' },
      timeout: 90_000,
    });
    invocation.child.stdin?.end();
    const { stdout, stderr } = await invocation;

    expect(`${stdout}\n${stderr}`).not.toMatch(/warning/i);
    const lines = stdout.split('\n');
    const result = JSON.parse(lines.slice(lines.indexOf('{'), lines.indexOf('}') + 1).join('\n'));
    expect(result).toMatchObject({ processed: 1, succeeded: 1 });
    expect(await backend.stats(queue)).toMatchObject({ ready: 0, inFlight: 0, delayed: 0 });
  }, 120_000);
});
