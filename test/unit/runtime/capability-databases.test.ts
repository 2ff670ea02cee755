import { capabilityDatabaseUrl, coreConfig, databaseUrls } from '../../../lib/config';
import type { OpenContext, ClientSpec } from '../../../lib/runtime/client';
import { databaseClient, impressionsDatabaseClient, pendingDatabaseClient, trackingDatabaseClient } from '../../../lib/runtime/clients/database';
import { createLogger } from '../../../lib/log';

const MAIN = 'mysql://root@127.0.0.1:3306/buffer_main';
const IMPRESSIONS = 'mysql://root@127.0.0.1:3306/pgehres';

/** Opens specs the way the handler runtime does: each spec once per process (no query is sent). */
function opener(): { use<T>(spec: ClientSpec<T>): T; closeAll(): Promise<void> } {
  const opened = new Map<ClientSpec<unknown>, unknown>();
  const context: OpenContext = {
    component: 'test',
    logger: createLogger({}, { level: 'silent' }),
    use<T>(spec: ClientSpec<T>): T {
      if (!opened.has(spec)) opened.set(spec, spec.open(context));
      return opened.get(spec) as T;
    },
  };
  return {
    use: context.use,
    closeAll: async () => {
      for (const [spec, client] of [...opened].reverse()) await spec.close?.(client);
    },
  };
}

describe('capability databases', () => {
  const saved = { ...process.env };

  afterEach(() => {
    process.env = { ...saved };
    coreConfig.reset();
  });

  it('should give each capability DATABASE_URL when it has no URL of its own', () => {
    const config = coreConfig({ DATABASE_URL: MAIN });

    expect([capabilityDatabaseUrl(config, 'impressions'), capabilityDatabaseUrl(config, 'pending'), capabilityDatabaseUrl(config, 'tracking')]).toEqual([MAIN, MAIN, MAIN]);
    expect(databaseUrls(config)).toEqual([MAIN]);
  });

  it('should give a capability its own URL, and migrate each distinct database once', () => {
    const config = coreConfig({ DATABASE_URL: MAIN, IMPRESSIONS_DATABASE_URL: IMPRESSIONS, TRACKING_DATABASE_URL: MAIN });

    expect(capabilityDatabaseUrl(config, 'impressions')).toBe(IMPRESSIONS);
    expect(capabilityDatabaseUrl(config, 'pending')).toBe(MAIN);
    expect(databaseUrls(config)).toEqual([MAIN, IMPRESSIONS]);
  });

  it('should reject a capability URL that is not a MySQL URL, by variable name', () => {
    expect(() => coreConfig({ PENDING_DATABASE_URL: 'redis://127.0.0.1:6379' })).toThrow(/PENDING_DATABASE_URL/);
  });

  it('should share the one pool when a capability uses DATABASE_URL, and open its own otherwise', async () => {
    process.env.DATABASE_URL = MAIN;
    process.env.IMPRESSIONS_DATABASE_URL = IMPRESSIONS;
    delete process.env.PENDING_DATABASE_URL;
    delete process.env.TRACKING_DATABASE_URL;
    coreConfig.reset();
    const clients = opener();

    const main = clients.use(databaseClient);
    const pending = clients.use(pendingDatabaseClient);
    const tracking = clients.use(trackingDatabaseClient);
    const impressions = clients.use(impressionsDatabaseClient);

    expect(pending.pool).toBe(main.pool);
    expect(tracking.pool).toBe(main.pool);
    expect(impressions.pool).not.toBe(main.pool);
    await clients.closeAll();
  });
});
