/**
 * The `console-metrics` job: every managed queue's figures and damaged rows written as CloudWatch
 * embedded metric documents (Powertools) on standard output. Real Redis and MariaDB.
 */
import { consoleMetricsJob } from '../../../lib/console/jobs';
import { createConsoleFixture, type ConsoleFixture } from '../../support/console';

jest.setTimeout(30_000);

interface EmfDocument {
  _aws: { CloudWatchMetrics: Array<{ Namespace: string; Dimensions: string[][]; Metrics: Array<{ Name: string; Unit: string }> }> };
  [key: string]: unknown;
}

describe('the console-metrics job', () => {
  let f: ConsoleFixture;

  beforeAll(async () => {
    f = await createConsoleFixture();
  });

  afterAll(async () => {
    await f.close();
  });

  it('should publish one document per queue with its counts, oldest age and damaged rows, dimensioned by stage and queue', async () => {
    await f.backend.push(f.queues.pending, { gateway: 'g', order_id: 'm.1', date: 1764300000 });
    await f.damagedStore.insert({ queue: f.queues.pending, body: '{}', error: 'PermanentError: x' });
    const written: string[] = [];
    const spy = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      written.push(String(chunk));
      return true;
    });

    let published;
    try {
      published = await consoleMetricsJob.run(f.deps, { ...f.options, namespace: 'DonationBufferTest', stage: 'itest' });
    } finally {
      spy.mockRestore();
    }

    const documents = written.flatMap((text) => text.split('\n')).filter((line) => line.includes('"_aws"')).map((line) => JSON.parse(line) as EmfDocument);
    expect(published!.queues.sort()).toEqual(Object.values(f.queues).sort());
    // Kafka is not reachable in this fixture: no lag document, so the lag alarm sees missing data.
    expect(published!.topics).toEqual([]);
    expect(documents).toHaveLength(Object.keys(f.queues).length);
    const pending = documents.find((d) => d.Queue === f.queues.pending)!;
    expect(pending).toMatchObject({ service: 'donation-buffer', Stage: 'itest', ReadyMessages: 1, DeadLetters: 0, DamagedRows: 1 });
    expect(typeof pending.OldestMessageAgeSeconds).toBe('number');
    expect(pending._aws.CloudWatchMetrics[0]).toMatchObject({ Namespace: 'DonationBufferTest', Dimensions: [['service', 'Stage', 'Queue']] });
    await f.backend.purge(f.queues.pending);
  });
});
