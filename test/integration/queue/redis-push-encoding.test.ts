/**
 * What push stores, byte for byte: the producer's JSON with the legacy source fields appended in
 * their legacy order (name, type, host, run id, version, enqueue time). The backend builds this
 * text without copying the message when it carries no source field; both ways must agree.
 */
import { randomBytes } from 'node:crypto';
import Redis from 'ioredis';
import { coreConfig } from '../../../lib/config';
import { currentSourceIdentity, withSourceFields } from '../../../lib/queue/source-fields';
import type { MessageBody, QueueBackend } from '../../../lib/queue/types';
import { redisQueueOn } from '../../support/redis-queue';

describe('Redis queue push encoding', () => {
  const queue = `encoding-${process.pid}-${randomBytes(4).toString('hex')}`;
  let client: Redis;
  let backend: QueueBackend;

  beforeAll(() => {
    client = new Redis(coreConfig().REDIS_URL);
    backend = redisQueueOn(client);
  });

  afterAll(async () => {
    await backend.purge(queue);
    await client.del(`{${queue}}:seq`);
    await backend.close();
    client.disconnect();
  });

  it.each<[string, MessageBody, 'payments' | undefined]>([
    ['an empty message', {}, undefined],
    ['a message without source fields', { order_id: '12.1', gross: '15.00', note: 'Grüße "quoted" \\ ✓', nested: { a: [1, null] } }, 'payments'],
    ['a message with some source fields', { order_id: '13.1', source_type: 'audit', source_host: 'legacy-box' }, 'payments'],
    ['a message with an undefined member', { order_id: '14.1', skipped: undefined }, undefined],
  ])('should store %s as its JSON followed by the source fields in legacy order', async (_label, message, sourceType) => {
    await backend.push(queue, message, { sourceType });

    const [delivery] = await backend.lease(queue);
    await backend.ack(queue, delivery!.receipt);

    const enqueued = Number(JSON.parse(delivery!.body).source_enqueued_time);
    const expected = JSON.stringify({ ...withSourceFields(message, currentSourceIdentity(), sourceType), source_enqueued_time: enqueued });
    expect(delivery!.body).toBe(expected);
    expect(Math.abs(enqueued - Date.now() / 1000)).toBeLessThan(60);
  });
});
