import type { BatchResult, ImpressionsLoader, SourceBatch } from '../../../lib/impressions/batch-commit';
import type { ImpressionTopic } from '../../../lib/impressions/config';
import { loadKafkaEvent } from '../../../lib/impressions/lambda-event';
import { MalformedMessageError } from '../../../lib/errors';

const topics: ImpressionTopic[] = [{ topic: 'centralnotice-impressions', kind: 'banner', factor: 100 }];

/** Records what the adapter hands to the loader; answers as if every record were new. */
function recordingLoader() {
  const calls: Array<{ batch: SourceBatch; onGap: unknown }> = [];
  const loader = {
    async applyBatches(batches: SourceBatch[], options: { onGap?: unknown }): Promise<BatchResult[]> {
      return batches.map((batch) => {
        calls.push({ batch, onGap: options.onGap });
        const n = batch.messages.length;
        return { status: 'applied', storedOffset: null, nextOffset: n, applied: n, counted: n, ignored: 0, invalid: 0, cells: 1 };
      });
    },
  };
  return { loader: loader as unknown as ImpressionsLoader, calls };
}

describe('loadKafkaEvent', () => {
  it('should decode the base64 values of each topic-partition group into one batch, in offset order', async () => {
    const { loader, calls } = recordingLoader();
    const record = (offset: number, text: string | null) => ({ topic: 'centralnotice-impressions', partition: 2, offset, value: text === null ? null : Buffer.from(text).toString('base64') });

    const summary = await loadKafkaEvent(loader, { eventSource: 'SelfManagedKafka', records: { 'centralnotice-impressions-2': [record(11, 'b'), record(10, 'a'), record(12, null)] } }, { consumerGroup: 'g', topics });

    expect(calls).toHaveLength(1);
    expect(calls[0]!.onGap).toBe('accept');
    expect(calls[0]!.batch).toMatchObject({ consumerGroup: 'g', partition: 2, topic: topics[0] });
    expect(calls[0]!.batch.messages.map((m) => [m.offset, m.value?.toString() ?? null])).toEqual([
      [10, 'a'],
      [11, 'b'],
      [12, null],
    ]);
    expect(summary).toMatchObject({ batches: 1, received: 3, applied: 3, unknownTopics: [] });
  });

  it('should leave records of topics it is not configured for alone and name them', async () => {
    const { loader, calls } = recordingLoader();

    const summary = await loadKafkaEvent(loader, { records: { 'other-0': [{ topic: 'other', partition: 0, offset: 1, value: 'eA==' }] } }, { consumerGroup: 'g', topics });

    expect(calls).toHaveLength(0);
    expect(summary.unknownTopics).toEqual(['other']);
  });

  it('should reject an event without records', async () => {
    const { loader } = recordingLoader();

    await expect(loadKafkaEvent(loader, {} as never, { consumerGroup: 'g', topics })).rejects.toThrow(MalformedMessageError);
  });
});
