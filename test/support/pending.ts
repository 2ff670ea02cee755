/**
 * What the pending pipeline's integration tests share: a fresh database, a Redis queue backend
 * on uniquely named queues (purged afterwards), the damaged store, and helpers to read tables.
 */
import { randomBytes } from 'node:crypto';
import Redis from 'ioredis';
import { createDamagedStore, type DamagedStore } from '../../lib/consumer/damaged-store';
import { DEFAULT_RETRY_POLICY } from '../../lib/consumer/retry-policy';
import type { PendingPipelineDeps } from '../../lib/pending/consume-pending';
import { RedisQueueBackend } from '../../lib/queue';
import { queueKeys } from '../../lib/queue/redis/keys';
import { createLogger } from '../../lib/log';
import { AdapterRegistry } from '../../lib/rectifier/adapters';
import { HostedPaymentAdapter } from '../../lib/rectifier/hosted-payment-adapter';
import { startProcessorSimulator, type ProcessorSimulator } from '../../scripts/processor-simulator';
import { createTestDatabase, type TestDatabase } from './database';

const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

export interface PendingTestEnv {
  database: TestDatabase;
  backend: RedisQueueBackend;
  redis: Redis;
  damagedStore: DamagedStore;
  queues: { pending: string; paymentsInit: string; donations: string };
  deps: PendingPipelineDeps;
  /** Rows of a table, oldest id first. */
  rows<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T[]>;
  /** Bodies of the messages waiting in a queue, parsed. */
  queued(queue: string): Promise<Array<Record<string, unknown>>>;
  close(): Promise<void>;
}

/** Opens everything a test file needs; call `close` in afterAll. */
export async function createPendingTestEnv(): Promise<PendingTestEnv> {
  const database = await createTestDatabase();
  const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
  const backend = new RedisQueueBackend({ redis });
  const suffix = `${Date.now()}-${randomBytes(3).toString('hex')}`;
  const queues = { pending: `itest-pending-${suffix}`, paymentsInit: `itest-payments-init-${suffix}`, donations: `itest-donations-${suffix}` };
  const damagedStore = createDamagedStore(database.db);
  const logger = createLogger({ component: 'test' }, { level: 'silent' });
  return {
    database,
    backend,
    redis,
    damagedStore,
    queues,
    deps: { backend, db: database.db, damagedStore, retryPolicy: DEFAULT_RETRY_POLICY, logger },
    async rows<T>(sql: string, params: unknown[] = []) {
      const [rows] = await database.pool.query(sql, params);
      return rows as T[];
    },
    async queued(queue: string) {
      return (await backend.peek(queue, 1000)).map((body) => JSON.parse(body) as Record<string, unknown>);
    },
    async close() {
      for (const queue of Object.values(queues)) {
        await backend.purge(queue);
        await redis.del(queueKeys(queue).seq);
      }
      await backend.close();
      redis.disconnect();
      await database.drop();
    },
  };
}

/** The processor simulator and an adapter registry with its hosted payment gateway `gateway` (the rectifier tests' processor). */
export async function startHostedProcessor(gateway: string): Promise<{ simulator: ProcessorSimulator; adapters: AdapterRegistry }> {
  const simulator = await startProcessorSimulator();
  const adapters = new AdapterRegistry();
  adapters.add(gateway, null, new HostedPaymentAdapter({ baseUrl: simulator.hostedPaymentUrl, timeoutMs: 2000 }));
  return { simulator, adapters };
}
