import type { RawMessage, SourceBatch } from '../../../lib/impressions/batch-commit';
import type { ImpressionTopic } from '../../../lib/impressions/config';
import { ReceivedBatches } from '../../../lib/impressions/received-batches';

const topic: ImpressionTopic = { topic: 'centralnotice-impressions', kind: 'banner', factor: 1 };

function batch(partition: number, from: number, to: number): SourceBatch {
  const messages: RawMessage[] = [];
  for (let offset = from; offset < to; offset++) messages.push({ offset, value: `{"n":${offset}}` });
  return { consumerGroup: 'g', topic, partition, messages };
}

const offsets = (run: { batch: SourceBatch }) => run.batch.messages.map((m) => m.offset);

describe('ReceivedBatches', () => {
  it('should join consecutive batches of a partition into one run and hand out every partition at once', () => {
    const received = new ReceivedBatches();
    received.add('t:0', batch(0, 0, 3), 1);
    received.add('t:1', batch(1, 10, 12), 2);
    received.add('t:0', batch(0, 3, 5), 3);

    const runs = received.take(new Set());

    expect(runs.map((run) => [run.key, offsets(run), run.receivedAt])).toEqual([
      ['t:0', [0, 1, 2, 3, 4], 1],
      ['t:1', [10, 11], 2],
    ]);
    expect(received.events).toBe(0);
  });

  it('should drop records delivered again and keep a hole as the start of a new run', () => {
    const received = new ReceivedBatches();
    received.add('t:0', batch(0, 0, 5), 1);
    received.add('t:0', batch(0, 3, 7), 2);
    received.add('t:0', batch(0, 9, 10), 3);

    const first = received.take(new Set());
    const second = received.take(new Set());

    expect(first.map(offsets)).toEqual([[0, 1, 2, 3, 4, 5, 6]]);
    expect(second.map(offsets)).toEqual([[9]]);
  });

  it('should hold back partitions that are still being applied', () => {
    const received = new ReceivedBatches();
    received.add('t:0', batch(0, 0, 2), 1);
    received.add('t:1', batch(1, 0, 2), 1);

    const runs = received.take(new Set(['t:0']));

    expect(runs.map((run) => run.key)).toEqual(['t:1']);
    expect(received.events).toBe(2);
  });

  it('should forget what waits for a partition that is sought elsewhere', () => {
    const received = new ReceivedBatches();
    received.add('t:0', batch(0, 0, 2), 1);
    received.add('t:0', batch(0, 5, 6), 1);
    received.add('t:1', batch(1, 0, 2), 1);

    received.drop('t:0');

    expect(received.events).toBe(2);
    expect(received.take(new Set()).map((run) => run.key)).toEqual(['t:1']);
  });
});
