/**
 * The console on an SQS stage (the fauxqs emulator): the same operations over the SqsQueueBackend,
 * with what SQS cannot do declared rather than faked: no oldest age, no peek. Redrive and purge
 * work and are audited. Real MariaDB.
 */
import { randomBytes } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { consoleAppFor, type ConsoleWebOptions } from '../../../lib/console/jobs';
import { consoleAudit } from '../../../lib/db/schema';
import { createLogger } from '../../../lib/log';
import type { SqsQueueBackend } from '../../../lib/queue/sqs/sqs-backend';
import { CONSOLE_TEST_TOKEN } from '../../support/console';
import { createTestDatabase, type TestDatabase } from '../../support/database';
import { startTestSqs, type TestSqs } from '../../support/sqs';

jest.setTimeout(60_000);

describe('the web console on SQS', () => {
  let sqs: TestSqs;
  let backend: SqsQueueBackend;
  let database: TestDatabase;
  let app: ReturnType<typeof consoleAppFor>;
  const queue = `console${randomBytes(3).toString('hex')}`;
  const auth = { authorization: `Bearer ${CONSOLE_TEST_TOKEN}` };
  const post = (path: string, form: Record<string, string>) =>
    app.request(path, { method: 'POST', body: new URLSearchParams(form), headers: { ...auth, 'content-type': 'application/x-www-form-urlencoded' } });

  beforeAll(async () => {
    [sqs, database] = await Promise.all([startTestSqs(), createTestDatabase()]);
    backend = sqs.createBackend({ defaults: { visibilityTimeoutSeconds: 30, maxReceiveCount: 1 } });
    const options: ConsoleWebOptions = {
      queues: [queue],
      partitioned: [],
      wireFormats: {},
      redrive: { max: 10, perSecond: 100 },
      bulkLimit: 10,
      pageSize: 10,
      consumerGroup: 'none',
      impressionsTopics: [],
      rectify: { queue: `${queue}-rectify`, gateways: [] },
      auth: { mode: 'token', secret: CONSOLE_TEST_TOKEN, sessionHours: 1 },
    };
    // No impressions topics and no partitioned queue are configured here: neither reader is called.
    const endOffsets = async () => [];
    const partitionStatus = async () => {
      throw new Error('no partitioned queue is configured');
    };
    const invocations = async () => [];
    app = consoleAppFor({ backend, db: database.db, endOffsets, partitionStatus, invocations, logger: createLogger({}, { level: 'silent' }) }, options);
  });

  afterAll(async () => {
    await backend?.close();
    await sqs?.stop();
    await database?.drop();
  });

  it('should show the counts without an oldest age, say it cannot peek, and redrive and purge with audit rows', async () => {
    await backend.push(queue, { poison: true });
    const [delivery] = await backend.lease(queue);
    await backend.release(queue, delivery!.receipt);
    expect(await backend.lease(queue)).toEqual([]); // past maxReceiveCount: SQS moved it to the dead-letter queue
    await backend.push(queue, { waiting: true });

    const overview = await (await app.request('/console/', { headers: auth })).text();
    const detail = await (await app.request(`/console/queues/${queue}`, { headers: auth })).text();
    const csrf = /name="_csrf" value="([^"]+)"/.exec(detail)![1]!;
    const redrive = await post(`/console/queues/${queue}/redrive`, { _csrf: csrf, max: '5' });
    const afterRedrive = await backend.stats(queue);
    const purge = await post(`/console/queues/${queue}/purge`, { _csrf: csrf, confirm: queue });

    expect(overview).toContain('reports no oldest age');
    expect(detail).toContain('cannot read messages without receiving them');
    expect(redrive.status).toBe(303);
    expect(afterRedrive).toMatchObject({ ready: 2, dead: 0 });
    expect(purge.status).toBe(303);
    expect(await backend.stats(queue)).toMatchObject({ ready: 0, inFlight: 0, dead: 0 });
    const actions = (await database.db.select().from(consoleAudit).where(eq(consoleAudit.target, `queue:${queue}`)).orderBy(consoleAudit.id)).map((r) => r.action);
    expect(actions).toEqual(['queue.redrive', 'queue.purge']);
  });
});
