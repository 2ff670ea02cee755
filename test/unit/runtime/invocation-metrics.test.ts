import { coreConfig } from '../../../lib/config';
import { defineJob } from '../../../lib/job';
import { createHandler } from '../../../lib/runtime/handler-runtime';
import { countsOfResult } from '../../../lib/runtime/invocation-metrics';

interface EmfDocument {
  _aws: { CloudWatchMetrics: Array<{ Namespace: string; Dimensions: string[][]; Metrics: Array<{ Name: string; Unit: string }> }> };
  [field: string]: unknown;
}

/** Runs `act` with stdout captured; the embedded-metric documents written meanwhile. */
async function emfWrittenBy(act: () => Promise<unknown>): Promise<EmfDocument[]> {
  const written: string[] = [];
  const spy = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    written.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
    return true;
  });
  try {
    await act().catch(() => undefined);
  } finally {
    spy.mockRestore();
  }
  return written.flatMap((text) => text.split('\n')).filter((line) => line.includes('"_aws"')).map((line) => JSON.parse(line) as EmfDocument);
}

const consumerJob = defineJob({
  options: () => ({}),
  run: async (_deps: { logger: unknown }, _options, event: { fail?: boolean }) => {
    if (event.fail) throw new Error('Redis down');
    return { processed: 7, succeeded: 4, dropped: 1, damaged: 1, retryScheduled: 1, stoppedBecause: 'empty' as const };
  },
});

describe('invocation metrics', () => {
  const saved = { namespace: process.env.METRICS_NAMESPACE, stage: process.env.STAGE };

  beforeEach(() => coreConfig.reset());

  afterEach(() => {
    for (const [key, value] of [['METRICS_NAMESPACE', saved.namespace], ['STAGE', saved.stage]] as const) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
    coreConfig.reset();
  });

  it("should write one document per invocation with the function's dimensions, its duration and its run's counts", async () => {
    process.env.METRICS_NAMESPACE = 'DonationBufferTest';
    process.env.STAGE = 'dev';
    const handler = createHandler('consume-pending', consumerJob, {}, { recorder: null });

    const documents = await emfWrittenBy(() => handler({}));

    expect(documents).toHaveLength(1);
    const [document] = documents;
    expect(document!._aws.CloudWatchMetrics[0]).toMatchObject({ Namespace: 'DonationBufferTest', Dimensions: [['service', 'Stage', 'Function']] });
    expect(document).toMatchObject({ Stage: 'dev', Function: 'consume-pending', Invocations: 1, Errors: 0, Processed: 7, Damaged: 1, RetryScheduled: 1, Dropped: 1 });
    expect(typeof document!.Duration).toBe('number');
  });

  it('should count an invocation that threw as an error, with no message counts', async () => {
    process.env.METRICS_NAMESPACE = 'DonationBufferTest';
    const handler = createHandler('consume-pending', consumerJob, {}, { recorder: null });

    const documents = await emfWrittenBy(() => handler({ fail: true }));

    expect(documents).toHaveLength(1);
    expect(documents[0]).toMatchObject({ Invocations: 1, Errors: 1 });
    expect(documents[0]).not.toHaveProperty('Processed');
  });

  it('should write nothing where METRICS_NAMESPACE is unset, as in local runs whose output people read', async () => {
    delete process.env.METRICS_NAMESPACE;
    const handler = createHandler('consume-pending', consumerJob, {}, { recorder: null });

    const documents = await emfWrittenBy(() => handler({}));

    expect(documents).toEqual([]);
  });

  it("should use a job's own figures where its result has another shape", async () => {
    process.env.METRICS_NAMESPACE = 'DonationBufferTest';
    const collectJob = defineJob({
      options: () => ({}),
      run: async (_deps: { logger: unknown }) => ({ pending: 2, donations: 3 }),
      figures: (counts) => ({ deadLettered: counts.pending + counts.donations }),
    });
    const handler = createHandler('collect-dead-letters', collectJob, {}, { recorder: null });

    const documents = await emfWrittenBy(() => handler());

    expect(documents[0]).toMatchObject({ Function: 'collect-dead-letters', DeadLettered: 5 });
  });
});

describe('countsOfResult', () => {
  it("should read an SQS event's partial batch response: failed records and the rest processed", () => {
    const event = { Records: [{}, {}, {}, {}] };

    expect(countsOfResult(event, { batchItemFailures: [{ itemIdentifier: 'b' }] })).toEqual({ failed: 1, processed: 3 });
  });

  it('should say nothing of a result that reports no messages', () => {
    expect(countsOfResult(undefined, { statusCode: 202, body: '' })).toEqual({});
  });
});
