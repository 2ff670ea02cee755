import { randomBytes } from 'node:crypto';
import Redis from 'ioredis';
import { RedisQueueBackend } from '../../../lib/queue';
import { IdSequenceNotSeededError, MalformedTrackingMessageError } from '../../../lib/tracking/errors';
import { seedTrackingIdSequence } from '../../../lib/tracking/id-sequence';
import { createTrackingProducer, type TrackingProducer } from '../../../lib/tracking/producer';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

// The project's testTimeout is not applied per project by Jest 30; on a loaded machine these take seconds.
jest.setTimeout(60_000);

describe('trackContribution', () => {
  let redis: Redis;
  let backend: RedisQueueBackend;
  let queue: string;
  let sequenceKey: string;
  let producer: TrackingProducer;

  beforeEach(() => {
    redis = new Redis(REDIS_URL);
    backend = new RedisQueueBackend({ redis });
    queue = `test-tracking-producer-${randomBytes(4).toString('hex')}`;
    sequenceKey = `test:${queue}:id-sequence`;
    producer = createTrackingProducer({ backend, redis, queue, sequenceKey, now: () => new Date('2024-11-27T13:00:00Z') });
  });

  afterEach(async () => {
    await backend.purge(queue);
    await redis.del(sequenceKey, `{${queue}}:seq`);
    await backend.close();
    redis.disconnect();
  });

  it('should allocate distinct ids above the seed under concurrency and queue each message', async () => {
    await seedTrackingIdSequence(redis, sequenceKey, 1000);

    const ids = await Promise.all(Array.from({ length: 200 }, () => producer.trackContribution({ utm_source: 'a.b.c' })));

    expect(new Set(ids).size).toBe(200);
    expect(Math.min(...ids)).toBe(1001);
    expect(Math.max(...ids)).toBe(1200);
    expect((await backend.stats(queue)).ready).toBe(200);
    const [message] = (await backend.peek(queue, 1)).map((body) => JSON.parse(body));
    expect(message).toMatchObject({ id: expect.stringMatching(/^\d+$/), ts: '20241127130000', utm_source: 'a.b.c' });
  });

  it('should never lower the sequence when seeded again with a smaller floor', async () => {
    await seedTrackingIdSequence(redis, sequenceKey, 5000);

    expect(await seedTrackingIdSequence(redis, sequenceKey, 10)).toBe(5000);
    expect(await producer.trackContribution({})).toBe(5001);
  });

  it('should create the sequence when seeded from an empty database (floor 0)', async () => {
    expect(await seedTrackingIdSequence(redis, sequenceKey, 0)).toBe(0);

    expect(await producer.trackContribution({})).toBe(1);
  });

  it('should refuse to allocate from an unseeded sequence rather than restart at 1', async () => {
    await expect(producer.trackContribution({ country: 'BR' })).rejects.toBeInstanceOf(IdSequenceNotSeededError);
    expect((await backend.stats(queue)).ready).toBe(0);
  });

  it('should reject bad fields without using up an id or queueing anything', async () => {
    await seedTrackingIdSequence(redis, sequenceKey, 1000);

    await expect(producer.trackContribution({ ts: 'yesterday' })).rejects.toBeInstanceOf(MalformedTrackingMessageError);
    await expect(producer.trackContribution({ contribution_id: 'x' })).rejects.toThrow('contribution_id must be a positive whole number');

    expect(await producer.trackContribution({})).toBe(1001);
    expect((await backend.stats(queue)).ready).toBe(1);
  });

  it("should keep a message's tracking_date as its time rather than stamp it with now", async () => {
    await seedTrackingIdSequence(redis, sequenceKey, 1000);

    await producer.trackContribution({ utm_medium: 'civicrm', tracking_date: '2024-11-27 13:20:00' });

    const [message] = (await backend.peek(queue, 1)).map((body) => JSON.parse(body));
    expect(message).toMatchObject({ id: '1001', ts: '20241127132000', tracking_date: '2024-11-27 13:20:00' });
  });
});
