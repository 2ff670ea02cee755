import { CallCoalescer } from '../../../lib/queue/redis/call-coalescer';

describe('CallCoalescer', () => {
  function recording(max = 100) {
    const batches: { key: string; items: number[] }[] = [];
    const coalescer = new CallCoalescer<number, number>(async (key, items) => {
      batches.push({ key, items });
      return items.map((item) => item * 10);
    }, max);
    return { coalescer, batches };
  }

  it('should send the calls of one event-loop turn as one batch per key, and give each caller its own output', async () => {
    const { coalescer, batches } = recording();

    const outputs = await Promise.all([coalescer.call('a', 1), coalescer.call('b', 2), coalescer.call('a', 3)]);

    expect(outputs).toEqual([10, 20, 30]);
    expect(batches).toEqual([
      { key: 'a', items: [1, 3] },
      { key: 'b', items: [2] },
    ]);
  });

  it('should start a new batch for calls made after the previous one went out', async () => {
    const { coalescer, batches } = recording();

    await coalescer.call('a', 1);
    await coalescer.call('a', 2);

    expect(batches.map((b) => b.items)).toEqual([[1], [2]]);
  });

  it('should send a batch at once when it reaches the maximum size', async () => {
    const { coalescer, batches } = recording(2);

    const outputs = await Promise.all([1, 2, 3, 4, 5].map((n) => coalescer.call('a', n)));

    expect(outputs).toEqual([10, 20, 30, 40, 50]);
    expect(batches.map((b) => b.items)).toEqual([[1, 2], [3, 4], [5]]);
  });

  it('should reject every caller of a batch whose call failed, and not later batches', async () => {
    let fail = true;
    const coalescer = new CallCoalescer<number, number>(async (_key, items) => {
      if (fail) throw new Error('redis went away');
      return items;
    }, 100);

    const first = await Promise.allSettled([coalescer.call('a', 1), coalescer.call('a', 2)]);
    fail = false;
    const second = await coalescer.call('a', 3);

    expect(first.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    expect(second).toBe(3);
  });

  it('should still flush while a test fakes timers', async () => {
    jest.useFakeTimers();
    try {
      const { coalescer } = recording();

      await expect(coalescer.call('a', 4)).resolves.toBe(40);
    } finally {
      jest.useRealTimers();
    }
  });
});
