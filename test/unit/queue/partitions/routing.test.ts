import { parseQueueDefinitions, queueDefinitions } from '../../../../lib/queue/definitions';
import { PartitionKeyMissingError, QueueUsageError } from '../../../../lib/queue/errors';
import {
  PartitionedQueue,
  definedPartitionSpec,
  fnv1a32,
  partitionOf,
  partitionOfKey,
  partitionQueueName,
  partitionSpecOf,
  queueProducer,
  queueStats,
  type PartitionSpec,
} from '../../../../lib/queue/partitions';
import { queueKeys, clusterSlot } from '../../../../lib/queue/redis/keys';
import { MemoryQueueBackend } from '../../../support/memory-queue-backend';

const spec: PartitionSpec = { queue: 'donations', partitions: 8, partitionKey: 'order_id' };

describe('partition routing', () => {
  it.each([
    ['', 0x811c9dc5],
    ['a', 0xe40c292c],
    ['foobar', 0xbf9cf968],
  ])('should hash %j to the published FNV-1a 32 value', (key, expected) => {
    expect(fnv1a32(key)).toBe(expected);
  });

  it.each([
    // The documented values (docs/queue.md, Partitions): a change here moves keys between partitions.
    ['12345', 8, 0],
    ['ORD-2026-000042', 8, 6],
    ['ORD-2026-000042', 16, 6],
    ['ünïcode', 16, 11],
    ['42', 8, 3],
  ])('should send key %j to a fixed partition of %i', (key, partitions, expected) => {
    expect(partitionOfKey(key, partitions)).toBe(expected);
  });

  it('should route the same key to the same partition, numbers as their decimal text', () => {
    const first = partitionOf(spec, { order_id: '42', amount: 1 });
    const again = partitionOf(spec, { order_id: '42', amount: 2 });
    const asNumber = partitionOf(spec, { order_id: 42 });

    expect(again).toBe(first);
    expect(asNumber).toBe(first);
  });

  it('should spread many keys over every partition', () => {
    const counts = new Array<number>(spec.partitions).fill(0);

    for (let i = 0; i < 8000; i += 1) counts[partitionOf(spec, { order_id: `order-${i}` })]! += 1;

    for (const count of counts) expect(count).toBeGreaterThan(800);
  });

  it.each([{}, { order_id: '' }, { order_id: null }, { order_id: { nested: 1 } }, { order_id: Number.NaN }])(
    'should refuse a message without a usable key (%j) with PartitionKeyMissingError',
    (message) => {
      expect(() => partitionOf(spec, message)).toThrow(PartitionKeyMissingError);
    },
  );

  it('should send a message without the key to the declared default partition', () => {
    expect(partitionOf({ ...spec, defaultPartition: 5 }, {})).toBe(5);
  });

  it('should name partition queues <q>#<p>, each with its own hash tag', () => {
    const names = [0, 1, 2, 3].map((p) => partitionQueueName('donations', p));
    const slots = new Set(names.map((name) => clusterSlot(queueKeys(name).ready)));

    expect(names).toEqual(['donations#0', 'donations#1', 'donations#2', 'donations#3']);
    expect(slots.size).toBe(4);
    for (const name of names) expect(new Set(Object.values(queueKeys(name)).map(clusterSlot)).size).toBe(1);
  });

  it('should refuse a spec with a partition count out of range', () => {
    expect(() => new PartitionedQueue(new MemoryQueueBackend(), { ...spec, partitions: 0 })).toThrow(QueueUsageError);
    expect(() => new PartitionedQueue(new MemoryQueueBackend(), { ...spec, defaultPartition: 8 })).toThrow(QueueUsageError);
  });
});

describe('PartitionedQueue', () => {
  it('should push each message to its partition queue, keeping their order per partition', async () => {
    const backend = new MemoryQueueBackend();
    const queue = new PartitionedQueue(backend, spec);
    const messages = Array.from({ length: 40 }, (_, n) => ({ order_id: `o${n % 5}`, n }));

    await queue.pushBatch(messages.slice(0, 20));
    for (const message of messages.slice(20)) await queue.push(message);

    for (let k = 0; k < 5; k += 1) {
      const name = partitionQueueName('donations', partitionOf(spec, { order_id: `o${k}` }));
      const bodies = (await backend.peek(name, 100)).map((body) => JSON.parse(body) as { order_id: string; n: number });
      const mine = bodies.filter((b) => b.order_id === `o${k}`).map((b) => b.n);
      expect(mine).toEqual(messages.filter((m) => m.order_id === `o${k}`).map((m) => m.n));
    }
  });

  it('should store nothing of a batch when one message lacks its key', async () => {
    const backend = new MemoryQueueBackend();
    const queue = new PartitionedQueue(backend, spec);

    await expect(queue.pushBatch([{ order_id: 'a' }, { amount: 1 }])).rejects.toThrow(PartitionKeyMissingError);

    for (let p = 0; p < spec.partitions; p += 1) expect((await backend.stats(partitionQueueName('donations', p))).ready).toBe(0);
  });
});

describe('queueProducer and queueStats', () => {
  it("should push a partitioned queue's messages by their key and a plain queue's to itself, and read each by its name", async () => {
    const backend = new MemoryQueueBackend();
    const specOf = (queue: string) => (queue === 'donations' ? spec : undefined);

    await queueProducer(backend, 'donations', specOf).pushBatch([{ order_id: 'o1' }, { order_id: 'o2' }, { order_id: 'o1' }]);
    await queueProducer(backend, 'pending', specOf).push({ order_id: 'o1' });

    expect((await backend.peek(partitionQueueName('donations', partitionOf(spec, { order_id: 'o1' })), 10)).length).toBeGreaterThanOrEqual(2);
    expect(await backend.peek('donations', 10)).toEqual([]);
    expect((await queueStats(backend, 'donations', specOf)).ready).toBe(3);
    expect((await queueStats(backend, 'pending', specOf)).ready).toBe(1);
  });

  it('should count what waits on the plain queue of a partitioned queue\'s name', async () => {
    const backend = new MemoryQueueBackend();
    const specOf = (queue: string) => (queue === 'donations' ? spec : undefined);
    await backend.push('donations', { order_id: 'o0' });

    await queueProducer(backend, 'donations', specOf).push({ order_id: 'o1' });
    const stats = await queueStats(backend, 'donations', specOf);

    expect(stats.ready).toBe(2);
  });

  it('should route the project queue declared partitioned (contribution tracking) by default', async () => {
    const backend = new MemoryQueueBackend();

    await queueProducer(backend, 'contribution-tracking').push({ id: '48213377', ts: '20241127130000' });

    expect(await backend.peek('contribution-tracking', 10)).toEqual([]);
    expect((await queueStats(backend, 'contribution-tracking')).ready).toBe(1);
    expect((await backend.stats(partitionQueueName('contribution-tracking', partitionOfKey('48213377', 8)))).ready).toBe(1);
  });
});

describe('partitioned queue definitions', () => {
  const base = { fifo: false, visibilityTimeoutSeconds: 600, functionTimeoutSeconds: 100, maxReceiveCount: 5, messageRetentionSeconds: 1209600, deadLetterRetentionSeconds: 1209600 };

  it('should read partitions and partitionKey from a definition', () => {
    const [definition] = parseQueueDefinitions({ queues: [{ ...base, fifo: true, name: 'donations', partitions: 16, partitionKey: 'order_id' }] });

    expect(partitionSpecOf(definition!)).toEqual({ queue: 'donations', partitions: 16, partitionKey: 'order_id', defaultPartition: undefined });
  });

  it.each([
    [{ partitions: 4 }, /partitions and partitionKey go together/],
    [{ partitionKey: 'order_id' }, /partitions and partitionKey go together/],
    [{ fifo: true, partitions: 4, partitionKey: 'order_id', defaultPartition: 4 }, /defaultPartition/],
    [{ partitions: 4, partitionKey: 'order_id' }, /a partitioned queue must be "fifo": true/],
  ])('should refuse the inconsistent declaration %j', (extra, message) => {
    expect(() => parseQueueDefinitions({ queues: [{ ...base, name: 'q', ...extra }] })).toThrow(message);
  });

  it('should declare contribution tracking partitioned by its tracking id, and no other project queue (their consumers read the plain queues)', () => {
    const partitioned = queueDefinitions.map((definition) => definedPartitionSpec(definition.name)).filter((spec) => spec !== undefined);
    expect(partitioned).toEqual([{ queue: 'contribution-tracking', partitions: 8, partitionKey: 'id', defaultPartition: undefined }]);
  });
});
