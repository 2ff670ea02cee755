/**
 * The rectifier's run history (rectifier_runs): every run appends each gateway's summary, the
 * processor's statuses included, and trims the gateway to its newest runs. Real MariaDB, Redis
 * and the processor simulator over HTTP.
 */
import { DEFAULT_RETRY_POLICY } from '../../../lib/consumer/retry-policy';
import { PendingStore } from '../../../lib/pending/pending-store';
import type { AdapterRegistry } from '../../../lib/rectifier/adapters';
import { rectifyOrphans, type RectifyOptions } from '../../../lib/rectifier/orphan-rectifier';
import { lastGatewayRuns } from '../../../lib/rectifier/run-history';
import type { ProcessorSimulator } from '../../../scripts/processor-simulator';
import { createPendingTestEnv, startHostedProcessor, type PendingTestEnv } from '../../support/pending';
import fixture from '../../../fixtures/pending-message.json';

const HOSTED = 'ingenico';

describe('the rectifier run history (lib/rectifier/run-history.ts)', () => {
  let env: PendingTestEnv;
  let simulator: ProcessorSimulator;
  let adapters: AdapterRegistry;
  const nowSeconds = () => Math.floor(Date.now() / 1000);
  const options = (keep: number): RectifyOptions => ({
    gateways: [HOSTED], minAgeMinutes: 30, limitPerGateway: 0, timeLimitSeconds: 30, concurrency: 1, resolveMode: 'delete',
    donationsQueue: env.queues.donations, pendingQueue: env.queues.pending, history: { source: 'scheduled', keep },
  });
  const deps = () => ({ db: env.database.db, trackingDb: env.database.db, backend: env.backend, damagedStore: env.damagedStore, adapters, retryPolicy: DEFAULT_RETRY_POLICY, logger: env.deps.logger });

  beforeAll(async () => {
    env = await createPendingTestEnv();
    ({ simulator, adapters } = await startHostedProcessor(HOSTED));
  });

  afterAll(async () => {
    await simulator.close();
    await env.close();
  });

  beforeEach(async () => {
    await env.database.pool.query('DELETE FROM pending');
    await env.database.pool.query('DELETE FROM rectifier_runs');
    simulator.reset();
  });

  it('should record a run\'s outcomes and the processor\'s statuses per gateway', async () => {
    const store = new PendingStore(env.database.db);
    await store.store({ ...fixture, gateway: HOSTED, order_id: '5001.1', date: nowSeconds() - 7200 });
    await store.store({ ...fixture, gateway: HOSTED, order_id: '5002.1', date: nowSeconds() - 7100 });
    simulator.setOrder('5001.1', { statusCode: 800 });
    simulator.setOrder('5002.1', { statusCode: 800 });

    const result = await rectifyOrphans(deps(), options(5));
    const runs = await lastGatewayRuns(env.database.db, { limit: 5 });

    expect(runs).toEqual([
      expect.objectContaining({
        gateway: HOSTED,
        source: 'scheduled',
        attempted: 2,
        rowsResolved: 2,
        outcomes: result.gateways[HOSTED]!.outcomes,
        processorStatuses: result.gateways[HOSTED]!.processorStatuses,
        stoppedBecause: 'empty',
      }),
    ]);
    expect(Object.values(runs[0]!.processorStatuses).reduce((a, b) => a + (b ?? 0), 0)).toBe(2);
    await env.backend.purge(env.queues.donations);
  });

  it('should keep only the newest runs of a gateway', async () => {
    for (let i = 0; i < 3; i++) await rectifyOrphans(deps(), options(2));

    const [rows] = await env.database.pool.query('SELECT id FROM rectifier_runs ORDER BY id');
    const runs = await lastGatewayRuns(env.database.db, { limit: 10 });

    expect((rows as unknown[]).length).toBe(2);
    expect(runs.map((r) => r.id)).toEqual((rows as Array<{ id: number }>).map((r) => r.id).reverse());
  });

  it('should record nothing when the run is given no history', async () => {
    const { history: _history, ...withoutHistory } = options(2);

    await rectifyOrphans(deps(), withoutHistory);

    expect(await lastGatewayRuns(env.database.db, { limit: 10 })).toEqual([]);
  });
});
