import type { RawMessage } from '../../../lib/impressions/batch-commit';
import type { ImpressionTopic } from '../../../lib/impressions/config';
import { ReceivedBatches, type ReceivedRun } from '../../../lib/impressions/received-batches';

const topic: ImpressionTopic = { topic: 'centralnotice-impressions', kind: 'banner', factor: 1 };

const shown = (country: string) =>
  JSON.stringify({ dt: '2024-11-27T13:00:05Z', event: { db: 'enwiki', uselang: 'en', country, statusCode: '6', banner: 'B1', campaign: 'C1' } });

/** Records `from` to `to` (exclusive); each is a shown banner in the US unless `value` says otherwise. */
function records(from: number, to: number, value: (offset: number) => string = () => shown('US')): RawMessage[] {
  const messages: RawMessage[] = [];
  for (let offset = from; offset < to; offset++) messages.push({ offset, value: value(offset) });
  return messages;
}

function add(received: ReceivedBatches, partition: number, from: number, to: number, receivedAt: number): number {
  return received.add(`t:${partition}`, { consumerGroup: 'g', topic, partition }, records(from, to), receivedAt);
}

const offsets = (run: ReceivedRun) => [run.batch.firstOffset, run.batch.nextOffset, run.batch.records];

describe('ReceivedBatches', () => {
  it('should join consecutive batches of a partition into one run and hand out every partition at once', () => {
    const received = new ReceivedBatches();
    add(received, 0, 0, 3, 1);
    add(received, 1, 10, 12, 2);
    add(received, 0, 3, 5, 3);

    const runs = received.take(new Set());

    expect(runs.map((run) => [run.key, offsets(run), run.receivedAt])).toEqual([
      ['t:0', [0, 5, 5], 1],
      ['t:1', [10, 12, 2], 2],
    ]);
    expect(received.events).toBe(0);
  });

  it('should drop records delivered again and keep a hole as the start of a new run', () => {
    const received = new ReceivedBatches();
    add(received, 0, 0, 5, 1);
    const fresh = add(received, 0, 3, 7, 2);
    add(received, 0, 9, 10, 3);

    const first = received.take(new Set());
    const second = received.take(new Set());

    expect(fresh).toBe(2);
    expect(first.map(offsets)).toEqual([[0, 7, 7]]);
    expect(first[0]!.batch.aggregate.counted).toBe(7);
    expect(second.map(offsets)).toEqual([[9, 10, 1]]);
  });

  it('should hold back partitions that are still being applied', () => {
    const received = new ReceivedBatches();
    add(received, 0, 0, 2, 1);
    add(received, 1, 0, 2, 1);

    const runs = received.take(new Set(['t:0']));

    expect(runs.map((run) => run.key)).toEqual(['t:1']);
    expect(received.events).toBe(2);
  });

  it('should forget what waits for a partition that is sought elsewhere', () => {
    const received = new ReceivedBatches();
    add(received, 0, 0, 2, 1);
    add(received, 0, 5, 6, 1);
    add(received, 1, 0, 2, 1);

    received.drop('t:0');

    expect([received.events, received.size]).toEqual([2, 1]);
    expect(received.take(new Set()).map((run) => run.key)).toEqual(['t:1']);
  });

  it('should sum the records of a run on arrival, so that what waits grows by cells and not by events', () => {
    const received = new ReceivedBatches();
    const values = ['US', 'US', 'DE', 'US', 'not json', 'DE'];

    received.add('t:0', { consumerGroup: 'g', topic, partition: 0 }, records(0, 6, (offset) => (values[offset] === 'not json' ? '{bad' : shown(values[offset]!))), 1);
    const sizeWaiting = received.size;
    const [run] = received.take(new Set());

    // Two cells and the one invalid record kept for the log sample.
    expect([received.events, received.size, sizeWaiting]).toEqual([0, 0, 3]);
    expect(run!.batch.aggregate.cells().map(({ cell, count }) => [cell.country, count])).toEqual([
      ['DE', 2],
      ['US', 3],
    ]);
    expect([run!.batch.aggregate.counted, run!.batch.aggregate.invalid]).toEqual([5, 1]);
    expect(run!.batch.invalid).toEqual([{ offset: 4, reason: 'not JSON', uuid: null }]);
  });
});
