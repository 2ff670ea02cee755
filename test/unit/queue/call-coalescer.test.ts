import { CallCoalescer, SPLIT_FROM } from '../../../lib/queue/redis/call-coalescer';

describe('CallCoalescer', () => {
  function recording(maxBatch = 100) {
    const batches: { key: string; items: number[] }[] = [];
    const coalescer = new CallCoalescer<number, number>(
      async (key, items) => {
        batches.push({ key, items });
        await new Promise((resolve) => setTimeout(resolve, 5));
        return items.map((item) => item * 10);
      },
      maxBatch,
    );
    return { coalescer, batches };
  }

  it('should send a lone call at once, as a batch of one', async () => {
    const { coalescer, batches } = recording();

    const pending = coalescer.call('a', 1);

    expect(batches).toEqual([{ key: 'a', items: [1] }]); // sent synchronously: no added latency
    await expect(pending).resolves.toBe(10);
  });

  it('should send the calls made in one turn while a call is in flight together, and give each caller its own output', async () => {
    const { coalescer, batches } = recording();

    const outputs = await Promise.all([1, 2, 3, 4].map((n) => coalescer.call('a', n)));

    expect(outputs).toEqual([10, 20, 30, 40]);
    expect(batches.map((b) => b.items)).toEqual([[1], [2, 3, 4]]);
  });

  it('should batch each key on its own', async () => {
    const { coalescer, batches } = recording();

    await Promise.all([coalescer.call('a', 1), coalescer.call('b', 2), coalescer.call('a', 3), coalescer.call('b', 4)]);

    expect(batches).toEqual([
      { key: 'a', items: [1] },
      { key: 'b', items: [2] },
      { key: 'a', items: [3] },
      { key: 'b', items: [4] },
    ]);
  });

  it('should split a gathered batch into batch calls of at most maxBatch', async () => {
    const { coalescer, batches } = recording(2);

    const outputs = await Promise.all([1, 2, 3, 4, 5, 6, 7].map((n) => coalescer.call('a', n)));

    expect(outputs).toEqual([10, 20, 30, 40, 50, 60, 70]);
    expect(batches.map((b) => b.items)).toEqual([[1], [2, 3], [4, 5], [6, 7]]);
  });

  it('should send a gathered batch of SPLIT_FROM calls or more in two halves, so that one half runs while the other is handled', async () => {
    const { coalescer, batches } = recording();

    const outputs = await Promise.all(Array.from({ length: 1 + 2 * SPLIT_FROM + 1 }, (_, n) => coalescer.call('a', n)));

    expect(outputs).toEqual(Array.from({ length: 2 + 2 * SPLIT_FROM }, (_, n) => n * 10));
    expect(batches.map((b) => b.items.length)).toEqual([1, SPLIT_FROM + 1, SPLIT_FROM]);
  });

  it('should send fewer than SPLIT_FROM gathered calls as one batch', async () => {
    const { coalescer, batches } = recording();

    await Promise.all(Array.from({ length: SPLIT_FROM }, (_, n) => coalescer.call('a', n)));

    expect(batches.map((b) => b.items.length)).toEqual([1, SPLIT_FROM - 1]);
  });

  it('should reject every caller of a batch whose call failed, and still serve later calls', async () => {
    let fail = true;
    const coalescer = new CallCoalescer<number, number>(async (_key, items) => {
      await new Promise((resolve) => setTimeout(resolve, 5));
      if (fail) throw new Error('redis went away');
      return items;
    }, 100);

    const first = await Promise.allSettled([coalescer.call('a', 1), coalescer.call('a', 2), coalescer.call('a', 3)]);
    fail = false;
    const later = await coalescer.call('a', 4);

    expect(first.map((r) => r.status)).toEqual(['rejected', 'rejected', 'rejected']);
    expect(later).toBe(4);
  });

  it('should still send gathered calls while a test fakes timers', async () => {
    const coalescer = new CallCoalescer<number, number>(async (_key, items) => {
      await Promise.resolve();
      return items;
    }, 100);
    jest.useFakeTimers();
    try {
      await expect(Promise.all([coalescer.call('a', 1), coalescer.call('a', 2)])).resolves.toEqual([1, 2]);
    } finally {
      jest.useRealTimers();
    }
  });
});
