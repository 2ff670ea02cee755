import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { promisify } from 'node:util';
import { PendingStore } from '../../../lib/pending/pending-store';
import { RedisQueueBackend } from '../../../lib/queue';
import { startWorldlineSimulator, type WorldlineSimulator } from '../../../scripts/simulators/worldline';
import { createTestDatabase, type TestDatabase } from '../../support/database';
import fixture from '../../../fixtures/pending-message.json';

const run = promisify(execFile);
const ROOT = path.resolve(__dirname, '../../..');
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const ACCOUNT = { merchantId: '1234', apiKeyId: 'key-sls', secretApiKey: 'secret-sls' };

// Bundles the handler with esbuild and runs it the way `sls invoke local` does: about 10-15 s.
describe('serverless.yml rectify-orphans (sls invoke local)', () => {
  let database: TestDatabase;
  let backend: RedisQueueBackend;
  let worldline: WorldlineSimulator;
  const donations = `itest-sls-donations-${randomBytes(4).toString('hex')}`;

  beforeAll(async () => {
    database = await createTestDatabase();
    backend = new RedisQueueBackend({ url: REDIS_URL });
    worldline = await startWorldlineSimulator({ credentials: [ACCOUNT] });
  });

  afterAll(async () => {
    await backend.purge(donations);
    await backend.close();
    await worldline.close();
    await database.drop();
  });

  it('should settle an orphan through the Worldline adapter of the account PROCESSOR_ACCOUNTS configures and print its summary', async () => {
    await new PendingStore(database.db).store({
      ...fixture, gateway: 'ingenico', order_id: '3001.1', contribution_tracking_id: '3001', gateway_txn_id: 'pay-sls', currency: 'EUR', gross: '25.00',
      date: Math.floor(Date.now() / 1000) - 3600,
    });
    worldline.setPayment('pay-sls', { merchantId: '1234', status: 'PENDING_APPROVAL', statusCode: 600, amount: 2500, currencyCode: 'EUR' });

    const invocation = run('npx', ['sls', 'invoke', 'local', '-f', 'rectify-orphans', '--stage', 'local'], {
      cwd: ROOT,
      env: {
        ...process.env, SLS_TELEMETRY_DISABLED: '1', SLS_NOTIFICATIONS_MODE: 'off',
        // not recorded: the local stage's invocation totals belong to a developer's own runs
        INVOCATION_FIGURES_KEPT_DAYS: '0', DATABASE_URL: database.url, REDIS_URL, DONATIONS_QUEUE: donations, LOG_LEVEL: 'warn',
        RECTIFY_ADAPTERS: 'ingenico=worldline',
        PROCESSOR_ACCOUNTS: JSON.stringify({ ingenico: { default: { ...ACCOUNT, endpoint: worldline.url } } }),
      },
      timeout: 90_000,
    });
    invocation.child.stdin?.end();
    const { stdout, stderr } = await invocation;

    expect(`${stdout}\n${stderr}`).not.toMatch(/warning/i);
    expect(stdout).not.toContain(ACCOUNT.secretApiKey);
    const lines = stdout.split('\n');
    const result = JSON.parse(lines.slice(lines.indexOf('{'), lines.lastIndexOf('}') + 1).join('\n'));
    expect(result.gateways.ingenico).toMatchObject({ attempted: 1, outcomes: { approved: 1 }, processorStatuses: { 'needs-approval': 1 } });
    expect(worldline.calls().map((call) => `${call.caller} ${call.route}`)).toEqual(['key-sls payments.get', 'key-sls payments.approve']);
    expect((await backend.peek(donations, 10)).map((body) => JSON.parse(body).order_id)).toEqual(['3001.1']);
  }, 120_000);
});
