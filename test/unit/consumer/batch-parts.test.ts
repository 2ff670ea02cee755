import { partsWithin, runBatchHandler, type BatchMessage } from '../../../lib/consumer/run-batch-consumer';
import { InfrastructureError } from '../../../lib/errors';
import type { Delivery } from '../../../lib/queue/types';

const delivery = (id: string, chars: number): Delivery => ({ id, receipt: `r-${id}`, queue: 'q', body: JSON.stringify({ id, pad: 'x'.repeat(Math.max(0, chars - 20)) }), receiveCount: 1, enqueuedAt: 0 });
const message = (id: string, chars: number): BatchMessage => {
  const d = delivery(id, chars);
  return { delivery: d, body: JSON.parse(d.body) as Record<string, unknown> };
};

describe('partsWithin', () => {
  it('should cut messages, in order, into parts of at most the given body text, and give a larger message a part of its own', () => {
    const messages = [message('a', 40), message('b', 40), message('c', 40), message('d', 200), message('e', 40)];

    const parts = partsWithin(messages, 100);

    expect(parts.map((part) => part.map((m) => m.delivery.id))).toEqual([['a', 'b'], ['c'], ['d'], ['e']]);
  });
});

describe('runBatchHandler', () => {
  it('should hand a batch of more body text than one call may carry over in parts, and try none after a part fails with an outage', async () => {
    // arrange: three parts' worth of 1.5 Mi-unit bodies; the second call finds the database down
    const big = 1.5 * 1024 * 1024;
    const deliveries = ['a', 'b', 'c', 'd', 'e', 'f'].map((id) => delivery(id, big));
    const calls: string[][] = [];
    const down = new InfrastructureError('database unreachable');

    // act
    const { outcomes } = await runBatchHandler(deliveries, async (messages) => {
      calls.push(messages.map((m) => m.delivery.id));
      if (calls.length === 2) throw down;
      return new Map();
    });

    // assert
    expect(calls).toEqual([['a', 'b'], ['c', 'd']]);
    expect([...outcomes]).toEqual([['c', down], ['d', down], ['e', down], ['f', down]]);
  });
});
