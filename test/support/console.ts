/**
 * A console over a test database and its own Redis queues: the operations, the Hono app and
 * helpers to sign in and read a page's CSRF token. Queue names are random, with the pending,
 * payments-init and tracking wire formats on the first three.
 */
import { randomBytes } from 'node:crypto';
import { createDamagedStore, type DamagedStore } from '../../lib/consumer/damaged-store';
import { invocationFunctionsKey, invocationTotalsKey, readInvocationFigures } from '../../lib/console/invocation-figures';
import { consoleAppFor, type ConsoleWebOptions } from '../../lib/console/jobs';
import { createConsoleOperations, type ConsoleDeps } from '../../lib/console/operations';
import { kafkaEndOffsets } from '../../lib/impressions/lag';
import { createKafkaClient } from '../../lib/impressions/kafka-client';
import { createLogger } from '../../lib/log';
import Redis from 'ioredis';
import { RedisQueueBackend } from '../../lib/queue';
import { partitionStatus, type PartitionSpec } from '../../lib/queue/partitions';
import { createTestDatabase, type TestDatabase } from './database';

export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
export const CONSOLE_TEST_TOKEN = 'test-console-token-0123456789';

export interface ConsoleFixture {
  database: TestDatabase;
  backend: RedisQueueBackend;
  damagedStore: DamagedStore;
  queues: { pending: string; paymentsInit: string; tracking: string; other: string };
  /** The queue the console's rectifier triggers go to (not one the console manages). */
  rectifyQueue: string;
  /** The stage whose invocation figures the console reads (one of the fixture's own, so that nothing else writes them). */
  stage: string;
  /** The fixture's Redis client (the invocation figures are written with it). */
  redis: Redis;
  options: ConsoleWebOptions;
  deps: ConsoleDeps;
  ops: ReturnType<typeof createConsoleOperations>;
  app: ReturnType<typeof consoleAppFor>;
  close(): Promise<void>;
}

export interface ConsoleFixtureOptions {
  /** A Redis of the test's own (the browser test uses a logical database, so that its queues can have their real names). */
  redisUrl?: string;
  queues?: ConsoleFixture['queues'];
  /** The Kafka cluster the impressions lag is read from; default: none listening (the page says Kafka is unreachable). */
  kafkaBrokers?: string[];
  /** The impressions topics the console reports on. */
  impressionsTopics?: string[];
  /** Partitioned queues the console manages besides `queues`. */
  partitioned?: PartitionSpec[];
}

/** Builds the fixture; `close` purges the queues and drops the database. */
export async function createConsoleFixture({ redisUrl = REDIS_URL, queues: named, kafkaBrokers = ['127.0.0.1:1'], impressionsTopics = [], partitioned = [] }: ConsoleFixtureOptions = {}): Promise<ConsoleFixture> {
  const database = await createTestDatabase();
  // One delivery only: a released message is dead-lettered at once (redrive tests).
  const backend = new RedisQueueBackend({ url: redisUrl, defaults: { maxReceiveCount: 1 } });
  const tag = randomBytes(3).toString('hex');
  const queues = named ?? { pending: `itest-console-pending-${tag}`, paymentsInit: `itest-console-init-${tag}`, tracking: `itest-console-tracking-${tag}`, other: `itest-console-other-${tag}` };
  const rectifyQueue = `itest-console-rectify-${tag}`;
  for (const queue of [...Object.values(queues), rectifyQueue]) await backend.purge(queue);
  const options: ConsoleWebOptions = {
    queues: [...Object.values(queues), ...partitioned.map((spec) => spec.queue)],
    partitioned,
    wireFormats: { [queues.pending]: 'pending', [queues.paymentsInit]: 'payments-init', [queues.tracking]: 'contribution-tracking' },
    redrive: { max: 100, perSecond: 1000 },
    bulkLimit: 50,
    pageSize: 5,
    consumerGroup: `itest-console-${tag}`,
    impressionsTopics,
    rectify: { queue: rectifyQueue, gateways: ['ingenico', 'adyen'] },
    auth: { mode: 'token', secret: CONSOLE_TEST_TOKEN, sessionHours: 1 },
  };
  const logger = createLogger({}, { level: 'silent' });
  const kafka = createKafkaClient({ brokers: kafkaBrokers, clientId: `itest-console-${tag}`, logger });
  const redis = new Redis(redisUrl);
  const stage = `itest-console-${tag}`;
  const deps: ConsoleDeps = {
    backend,
    db: database.db,
    endOffsets: kafkaEndOffsets(kafka, 3000),
    partitionStatus: (spec) => partitionStatus(redis, backend, spec),
    invocations: () => readInvocationFigures(redis, stage),
    logger,
  };
  return {
    database,
    backend,
    stage,
    redis,
    damagedStore: createDamagedStore(database.db),
    queues,
    rectifyQueue,
    options,
    deps,
    ops: createConsoleOperations(deps, options),
    app: consoleAppFor(deps, options),
    async close() {
      for (const queue of [...Object.values(queues), rectifyQueue]) await backend.purge(queue);
      await backend.close();
      // The queues' per-minute rate counts too (they would otherwise expire after two hours).
      for (const queue of [...Object.values(queues), rectifyQueue]) {
        const counts = await redis.keys(`{${queue}}:rate:*`);
        if (counts.length > 0) await redis.del(...counts);
      }
      const functions = await redis.zrange(invocationFunctionsKey(stage), 0, -1);
      await redis.del(invocationFunctionsKey(stage), ...functions.map((fn) => invocationTotalsKey(stage, fn)));
      redis.disconnect();
      await database.drop();
    },
  };
}

/** The value of the first hidden `_csrf` field of a page. */
export function csrfOf(page: string): string {
  const match = /name="_csrf" value="([^"]+)"/.exec(page);
  if (!match) throw new Error('the page has no CSRF field');
  return match[1]!;
}

/** A donor's pending message with personal data, as the frontend sends it. */
export function donorMessage(orderId: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    gateway: 'test-gateway',
    order_id: orderId,
    date: 1764300000,
    gross: '10.00',
    currency: 'EUR',
    email: 'donor@example.org',
    first_name: 'Ada',
    last_name: 'Lovelace',
    street_address: '1 Example Street',
    user_ip: '192.0.2.7',
    ...extra,
  };
}
