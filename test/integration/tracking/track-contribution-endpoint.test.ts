import type { Redis } from 'ioredis';
import first from '../../../fixtures/contribution-tracking-first.json';
import { MessageTooLargeError, RedisQueueBackend } from '../../../lib/queue';
import { queueConfig } from '../../../lib/queue/config';
import { definedPartitionSpec, PartitionedQueue } from '../../../lib/queue/partitions';
import { seedTrackingIdSequenceFromDatabase } from '../../../lib/tracking/id-sequence-seed';
import { signBodyLegacyTracking, SIGNATURE_HEADER, signTrackingRequest } from '../../../lib/tracking/signature';
import { createLogger } from '../../../lib/log';
import { handleTrackingRequest, type HttpRequest, type HttpResponse, type TrackingEndpointOptions } from '../../../lib/tracking/http-endpoint';
import { createTrackingProducer, type TrackingProducer } from '../../../lib/tracking/producer';
import { openTrackingRedis } from '../../../lib/tracking/redis-client';
import { createTestDatabase, type TestDatabase } from '../../support/database';
import { startRedisServer, type PrivateRedisServer } from '../../../scripts/stack/redis-server';

const SECRET = 'endpoint-test-secret';
const PREVIOUS = 'endpoint-test-secret-before-rotation';
const QUEUE = 'contribution-tracking';
const SEQUENCE_KEY = 'contribution-tracking:id-sequence';
const logger = createLogger({ component: 'test' }, { level: 'silent' });
/** The tracking queue's limit, as functions/track-contribution.ts passes it and the backend applies it. */
const LIMIT = queueConfig().QUEUE_MAX_MESSAGE_BYTES;
/** The tracking queue is partitioned by id: each message sits in the partition queue its id routes to. */
const SPEC = definedPartitionSpec(QUEUE)!;
const PARTITIONS = Array.from({ length: SPEC.partitions }, (_, p) => `${QUEUE}#${p}`);

/** A compact JSON tracking message of exactly `bytes` bytes, padded in its note. */
function messageOfBytes(bytes: number, fields: Record<string, string> = first): string {
  const empty = JSON.stringify({ ...fields, note: '' });
  return JSON.stringify({ ...fields, note: 'n'.repeat(bytes - Buffer.byteLength(empty)) });
}

/** The endpoint as functions/track-contribution.ts wires it, against a private Redis that the test stops. */
// The project's testTimeout is not applied per project by Jest 30; on a loaded machine these take seconds.
jest.setTimeout(60_000);

/** The signature rules as track-contribution runs them by default: both secrets, 300 s, legacy form in transition. */
const signing = (overrides: Partial<Pick<TrackingEndpointOptions, 'legacyUntil' | 'now'>> = {}) => ({
  keys: { current: SECRET, previous: PREVIOUS },
  toleranceSeconds: 300,
  legacyUntil: new Date(Date.now() + 86_400_000),
  ...overrides,
});

describe('handleTrackingRequest', () => {
  let server: PrivateRedisServer;
  let database: TestDatabase;
  let handler: (event: HttpRequest) => Promise<HttpResponse>;
  let redis: Redis;
  let backend: RedisQueueBackend;

  beforeAll(async () => {
    server = await startRedisServer();
    database = await createTestDatabase();
    await database.pool.query('INSERT INTO contribution_tracking (id, ts) VALUES (48213377, ?)', ['20241127130000']);
    redis = openTrackingRedis(server.url);
    backend = new RedisQueueBackend({ redis });
    const producer = createTrackingProducer({ backend, redis, queue: QUEUE, sequenceKey: SEQUENCE_KEY });
    handler = (event) => handleTrackingRequest(event, { ...signing(), producer, logger, maxBodyBytes: LIMIT });
    await seedTrackingIdSequenceFromDatabase(redis, database.pool, SEQUENCE_KEY);
  });

  afterAll(async () => {
    await backend.close();
    redis.disconnect();
    await server.stop();
    await database.drop();
  });

  const purge = async () => {
    for (const queue of PARTITIONS) await backend.purge(queue);
  };
  /** Every queued body, checked to sit in its id's partition queue. */
  const peekAll = async (count: number) => {
    const bodies: string[] = [];
    for (const queue of PARTITIONS) {
      for (const body of await backend.peek(queue, count)) {
        expect(new PartitionedQueue(backend, SPEC).queueOf(JSON.parse(body) as Record<string, unknown>)).toBe(queue);
        bodies.push(body);
      }
    }
    return bodies.slice(0, count);
  };

  beforeEach(async () => {
    await purge();
  });

  const signed = (body: string, extra: Partial<HttpRequest> = {}): HttpRequest => ({
    body,
    isBase64Encoded: false,
    headers: { 'content-type': 'application/json', [SIGNATURE_HEADER]: signTrackingRequest(SECRET, body) },
    ...extra,
  });
  const queued = async () => (await peekAll(10)).map((body) => JSON.parse(body) as Record<string, string>);

  it('should answer 202 with a new id above the table maximum once the message is queued', async () => {
    const { id: _id, ...withoutId } = first;

    const response = await handler(signed(JSON.stringify(withoutId)));

    expect(response.statusCode).toBe(202);
    expect(JSON.parse(response.body)).toEqual({ id: '48213378' });
    expect(await queued()).toEqual([expect.objectContaining({ ...withoutId, id: '48213378', source_type: 'direct' })]);
  });

  it('should keep an id the producer gives and fill in ts when it is absent', async () => {
    const response = await handler(signed(JSON.stringify({ id: '700', contribution_id: '95011231' })));

    expect(response.statusCode).toBe(202);
    expect(JSON.parse(response.body)).toEqual({ id: '700' });
    const [message] = await queued();
    expect(message).toMatchObject({ id: '700', contribution_id: '95011231', ts: expect.stringMatching(/^\d{14}$/) });
  });

  it('should accept a base64-encoded body as API Gateway may deliver it', async () => {
    const body = JSON.stringify(first);
    const response = await handler({
      body: Buffer.from(body).toString('base64'),
      isBase64Encoded: true,
      headers: { 'X-Tracking-Signature': signTrackingRequest(SECRET, body) },
    });

    expect(response.statusCode).toBe(202);
  });

  it('should answer 401 to a tampered or unsigned request and queue nothing', async () => {
    const request = signed(JSON.stringify(first));
    const tampered = { ...request, body: request.body!.replace('"BR"', '"PT"') };
    const unsigned = { ...request, headers: { 'content-type': 'application/json' } };

    const responses = [await handler(tampered), await handler(unsigned)];

    expect(responses.map((r) => r.statusCode)).toEqual([401, 401]);
    expect(JSON.parse(responses[0]!.body)).toEqual({ error: `invalid ${SIGNATURE_HEADER}` });
    expect(JSON.parse(responses[1]!.body)).toEqual({ error: `missing ${SIGNATURE_HEADER} header` });
    expect(await queued()).toEqual([]);
  });

  describe('signatures', () => {
    const body = JSON.stringify(first);
    const withSignature = (signature: string): HttpRequest => ({ body, headers: { [SIGNATURE_HEADER]: signature } });
    const nowSeconds = () => Math.floor(Date.now() / 1000);

    it('should answer 401 to a signed request replayed after the tolerance, and queue nothing', async () => {
      const response = await handler(withSignature(signTrackingRequest(SECRET, body, nowSeconds() - 301)));

      expect(response.statusCode).toBe(401);
      expect(JSON.parse(response.body).error).toContain('outside the accepted window');
      expect(await queued()).toEqual([]);
    });

    it('should accept a request signed with the previous secret during a rotation', async () => {
      const response = await handler(withSignature(signTrackingRequest(PREVIOUS, body)));

      expect(response.statusCode).toBe(202);
    });

    it("should accept an existing producer's legacy body signature until the transition ends, and refuse it after", async () => {
      const legacy = withSignature(signBodyLegacyTracking(SECRET, body));
      const producer = createTrackingProducer({ backend, redis, queue: QUEUE, sequenceKey: SEQUENCE_KEY });

      const during = await handler(legacy);
      const after = await handleTrackingRequest(legacy, { ...signing({ legacyUntil: new Date(Date.now() - 1000) }), producer, logger, maxBodyBytes: LIMIT });

      expect(during.statusCode).toBe(202);
      expect(after.statusCode).toBe(401);
      expect(JSON.parse(after.body).error).toContain('legacy sha256= form is no longer accepted');
      expect(await queued()).toHaveLength(1);
    });
  });

  it.each([
    ['{"id": "1", ', 'body is not valid JSON'],
    ['[1, 2]', 'body must be a JSON object'],
    ['{"id": "abc", "ts": "20241127130000"}', 'id must be a positive whole number'],
    ['{"id": "5", "ts": "2024-11-27"}', 'ts must be 14 digits, YYYYmmddHHMMSS in UTC'],
  ])('should answer 400 to %s with "%s" and queue nothing', async (body, reason) => {
    const response = await handler(signed(body));

    expect(response.statusCode).toBe(400);
    expect(JSON.parse(response.body)).toEqual({ error: reason });
    expect(await queued()).toEqual([]);
  });

  describe('size limit', () => {
    const sequence = async () => Number(await redis.get(SEQUENCE_KEY));

    it.each([
      ['one byte over the limit', LIMIT + 1],
      ['of 6 MB', 6 * 1024 * 1024],
    ])('should answer 413 to a signed body %s, naming both sizes, and queue nothing nor use an id', async (_name, bytes) => {
      const { id: _id, ...withoutId } = first;
      const body = messageOfBytes(bytes, withoutId);
      const idsBefore = await sequence();

      const response = await handler(signed(body));

      expect(response.statusCode).toBe(413);
      expect(JSON.parse(response.body)).toEqual({ error: `body of ${bytes} bytes is bigger than the ${LIMIT} bytes the tracking queue accepts` });
      expect(await queued()).toEqual([]);
      expect(await sequence()).toBe(idsBefore);
    });

    it('should answer 401, not 413, to an oversized body without a valid signature', async () => {
      const body = messageOfBytes(LIMIT + 1);

      const response = await handler({ body, headers: { [SIGNATURE_HEADER]: signTrackingRequest('another secret', body) } });

      expect(response.statusCode).toBe(401);
    });

    it('should accept a body of exactly the limit whose stored form fits', async () => {
      const compact = JSON.stringify(first);
      // JSON whitespace counts in the body but is not stored.
      const body = compact + ' '.repeat(LIMIT - compact.length);

      const response = await handler(signed(body));

      expect(Buffer.byteLength(body)).toBe(LIMIT);
      expect(response.statusCode).toBe(202);
      expect(await queued()).toEqual([expect.objectContaining(first)]);
    });

    describe('on the stored message (the body with its source fields)', () => {
      /** How many bytes the queue adds to a compact body carrying an id and a ts: its source fields. */
      let added: number;

      beforeAll(async () => {
        await purge();
        const body = messageOfBytes(1000);
        await handler(signed(body));
        const [stored] = await peekAll(1);
        added = Buffer.byteLength(stored!) - Buffer.byteLength(body);
      });

      it('should answer 202 to a body just under the limit whose stored message is exactly the limit', async () => {
        const body = messageOfBytes(LIMIT - added);

        const response = await handler(signed(body));

        expect(response.statusCode).toBe(202);
        const stored = await peekAll(1);
        expect(stored.map((b) => Buffer.byteLength(b))).toEqual([LIMIT]);
      });

      it('should answer 413 to a body under the limit whose stored message is one byte over, and queue nothing', async () => {
        const body = messageOfBytes(LIMIT - added + 1);

        const response = await handler(signed(body));

        expect(Buffer.byteLength(body)).toBeLessThan(LIMIT);
        expect(response.statusCode).toBe(413);
        expect(JSON.parse(response.body)).toEqual({
          error: `message of ${LIMIT + 1} bytes as stored (the body with its source fields) is bigger than the ${LIMIT} bytes the tracking queue accepts`,
        });
        expect(await queued()).toEqual([]);
      });
    });

    it('should answer 413 to any MessageTooLargeError from the producer, without the body in the answer', async () => {
      const refusing: TrackingProducer = {
        trackContribution: () => Promise.reject(new MessageTooLargeError(QUEUE, 5000, 4096)),
      };
      const body = JSON.stringify(first);

      const response = await handleTrackingRequest(signed(body), { ...signing(), producer: refusing, logger, maxBodyBytes: LIMIT });

      expect(response.statusCode).toBe(413);
      expect(JSON.parse(response.body)).toEqual({
        error: 'message of 5000 bytes as stored (the body with its source fields) is bigger than the 4096 bytes the tracking queue accepts',
      });
    });
  });

  it('should answer 503 while Redis is stopped, and 202 again once it is back and reseeded', async () => {
    const { id: _id, ...withoutId } = first;
    let needingId: HttpResponse | undefined;
    let withId: HttpResponse | undefined;
    let elapsed = 0;

    // Both requests while the server is down, however long a busy machine takes to answer them.
    await server.restart({
      whileDown: async () => {
        const started = Date.now();
        needingId = await handler(signed(JSON.stringify(withoutId)));
        withId = await handler(signed(JSON.stringify(first)));
        elapsed = Date.now() - started;
      },
    });

    expect([needingId?.statusCode, withId?.statusCode]).toEqual([503, 503]);
    expect(JSON.parse(withId!.body)).toEqual({ error: 'the tracking queue is unavailable; retry later' });
    expect(elapsed).toBeLessThan(5000);
    // The private server has no persistence: the sequence is gone, and allocation refuses to restart at 1.
    expect((await handler(signed(JSON.stringify(withoutId)))).statusCode).toBe(503);
    await seedTrackingIdSequenceFromDatabase(redis, database.pool, SEQUENCE_KEY);
    const again = await handler(signed(JSON.stringify(withoutId)));
    expect(again.statusCode).toBe(202);
    expect(JSON.parse(again.body)).toEqual({ id: '48213378' });
  });
});
