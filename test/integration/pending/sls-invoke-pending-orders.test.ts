import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { COMPLETE_PATH, PENDING_SIGNATURE_HEADER } from '../../../lib/pending/http-endpoint';
import { PendingStore } from '../../../lib/pending/pending-store';
import { signRequest } from '../../../lib/signing';
import { createTestDatabase, type TestDatabase } from '../../support/database';
import fixture from '../../../fixtures/pending-message.json';

const run = promisify(execFile);
const ROOT = path.resolve(__dirname, '../../..');
const SECRET = 'sls-pending-secret';

// Bundles the handler with esbuild and runs it the way `sls invoke local` does: about 10-15 s.
describe('serverless.yml pending-orders (sls invoke local)', () => {
  let database: TestDatabase;

  beforeAll(async () => {
    database = await createTestDatabase();
  });

  afterAll(async () => {
    await database.drop();
  });

  it('should settle a signed POST /pending/complete and answer 200 without validation warnings', async () => {
    const store = new PendingStore(database.db);
    await store.store({ ...fixture, order_id: 'sls.1' });
    await store.store({ ...fixture, order_id: 'sls.1', response: 'second attempt' });
    const body = JSON.stringify({ gateway: fixture.gateway, order_id: 'sls.1' });
    const event = {
      body,
      headers: { [PENDING_SIGNATURE_HEADER]: signRequest(SECRET, { method: 'POST', path: COMPLETE_PATH, body }) },
      requestContext: { http: { method: 'POST' } },
    };

    const invocation = run('npx', ['sls', 'invoke', 'local', '-f', 'pending-orders', '--stage', 'local', '--data', JSON.stringify(event)], {
      cwd: ROOT,
      env: { ...process.env, SLS_TELEMETRY_DISABLED: '1', SLS_NOTIFICATIONS_MODE: 'off',
        // not recorded: the local stage's invocation totals belong to a developer's own runs
        INVOCATION_FIGURES_KEPT_DAYS: '0', DATABASE_URL: database.url, PENDING_HMAC_SECRET: SECRET, LOG_LEVEL: 'warn' },
      timeout: 90_000,
    });
    invocation.child.stdin?.end();
    const { stdout, stderr } = await invocation;

    expect(`${stdout}\n${stderr}`).not.toMatch(/warning/i);
    const lines = stdout.split('\n');
    const result = JSON.parse(lines.slice(lines.indexOf('{'), lines.lastIndexOf('}') + 1).join('\n'));
    expect(result).toMatchObject({ statusCode: 200 });
    expect(JSON.parse(result.body)).toEqual({ resolved: 2 });
    expect(await store.fetchOrder(fixture.gateway, 'sls.1')).toEqual([]);
  }, 120_000);
});
