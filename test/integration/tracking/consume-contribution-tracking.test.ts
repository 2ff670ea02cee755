import { randomBytes } from 'node:crypto';
import Redis from 'ioredis';
import type { Pool, RowDataPacket } from 'mysql2/promise';
import first from '../../../fixtures/contribution-tracking-first.json';
import update from '../../../fixtures/contribution-tracking-update.json';
import { createDamagedStore } from '../../../lib/consumer/damaged-store';
import { DEFAULT_RETRY_POLICY } from '../../../lib/consumer/retry-policy';
import { createLogger } from '../../../lib/log';
import { RedisQueueBackend } from '../../../lib/queue';
import { partitionOf, partitionQueueName, queueProducer, queueStats, type PartitionSpec } from '../../../lib/queue/partitions';
import { consumeContributionTracking } from '../../../lib/tracking/consumer';
import { rebuildTrackingSummary } from '../../../lib/tracking/rebuild';
import { createTestDatabase, type TestDatabase } from '../../support/database';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const logger = createLogger({ component: 'test' }, { level: 'silent' });

// The project's testTimeout is not applied per project by Jest 30; on a loaded machine these take seconds.
jest.setTimeout(60_000);

// Each case runs on a plain queue and on the queue partitioned by tracking id as the definitions
// declare it (8 partitions on `id`), whose runs are members of its consumer group on Redis.
describe.each([
  { variant: 'an unpartitioned queue', partitions: 0 },
  { variant: 'a queue partitioned by tracking id', partitions: 8 },
])('consumeContributionTracking on $variant', ({ partitions }) => {
  let database: TestDatabase;
  let redis: Redis;
  let backend: RedisQueueBackend;
  let queue: string;
  let sequenceKey: string;
  let spec: PartitionSpec | undefined;

  beforeEach(async () => {
    database = await createTestDatabase();
    redis = new Redis(REDIS_URL);
    backend = new RedisQueueBackend({ redis });
    queue = `test-contribution-tracking-${randomBytes(4).toString('hex')}`;
    sequenceKey = `test:${queue}:id-sequence`;
    spec = partitions > 0 ? { queue, partitions, partitionKey: 'id' } : undefined;
  });

  afterEach(async () => {
    const keys = await redis.keys(`{${queue}*`);
    if (keys.length > 0) await redis.del(...keys);
    await redis.del(sequenceKey, queue);
    await backend.close();
    redis.disconnect();
    await database.drop();
  });

  /** Pushes through the queue's routing, as every producer does. */
  const producer = () => queueProducer(backend, queue, () => spec);
  /** A legacy producer's RPUSH of a raw body, onto the partition of `id` when partitioned. */
  const rpush = (id: string, raw: string) => redis.rpush(spec ? partitionQueueName(queue, partitionOf(spec, { id })) : queue, raw);
  const stats = () => queueStats(backend, queue, () => spec);
  const consumeWith = (pool: typeof database.pool, batchSize = 500) =>
    consumeContributionTracking({
      backend,
      pool,
      redis,
      partitionSpec: spec,
      damagedStore: createDamagedStore(database.db),
      retryPolicy: DEFAULT_RETRY_POLICY,
      logger,
      queue,
      sequenceKey,
      batchSize,
      timeLimitSeconds: 0,
      messageLimit: 0,
    });
  const consume = () => consumeWith(database.pool);
  const rows = async (sql: string) => (await database.pool.query<RowDataPacket[]>(sql))[0];
  const snapshot = async () => ({
    summary: await rows('SELECT * FROM contribution_tracking ORDER BY id'),
    sources: await rows('SELECT * FROM contribution_source ORDER BY contribution_tracking_id'),
  });

  describe('with the fixtures', () => {
    it('should write one summary row with contribution_id, both events and the contribution_source row', async () => {
      await producer().pushBatch([first, update]);

      const counts = await consume();

      expect(counts).toMatchObject({ processed: 2, succeeded: 2, damaged: 0 });
      expect(await rows('SELECT id, contribution_id, utm_source, country, ts FROM contribution_tracking')).toEqual([
        { id: 48213377, contribution_id: 95011231, utm_source: first.utm_source, country: 'BR', ts: '20241127130000' },
      ]);
      expect(await rows('SELECT contribution_tracking_id, ts FROM contribution_tracking_event ORDER BY id')).toEqual([
        { contribution_tracking_id: 48213377, ts: '20241127130000' },
        { contribution_tracking_id: 48213377, ts: '20241127130412' },
      ]);
      expect(await rows('SELECT banner, landing_page, payment_method FROM contribution_source')).toEqual([
        { banner: 'B2425_1127_ptBR_dsk_p1_lg_txt_cnt', landing_page: 'no-LP', payment_method: 'cc' },
      ]);
    });

    it('should change nothing when the same messages are replayed', async () => {
      await producer().pushBatch([first, update]);
      await consume();
      const before = await snapshot();

      await producer().pushBatch([first, update]);
      const counts = await consume();

      expect(counts).toMatchObject({ processed: 2, dropped: 2, damaged: 0 });
      expect(await snapshot()).toEqual(before);
      expect(await rows('SELECT COUNT(*) AS n FROM contribution_tracking_event')).toEqual([{ n: 2 }]);
    });

    it('should reach the same final row when the update is delivered before the first message', async () => {
      await producer().pushBatch([first, update]);
      await consume();
      const inOrder = await snapshot();
      await database.pool.query('DELETE FROM contribution_tracking');
      await database.pool.query('DELETE FROM contribution_tracking_event');
      await database.pool.query('DELETE FROM contribution_source');

      await producer().push(update);
      await consume();
      await producer().push(first);
      await consume();

      expect(await snapshot()).toEqual(inOrder);
    });
  });

  describe('with bad input', () => {
    it('should store each bad message in damaged with its reason and go on with the rest', async () => {
      // Without an id a message has no partition: a buggy producer's RPUSH puts it on partition 0.
      await rpush('0', JSON.stringify({ ts: '20241127130000', country: 'BR' }));
      await producer().pushBatch([
        { id: 'abc', ts: '20241127130000' },
        { id: '21', ts: '27/11/2024 13:00' },
      ]);
      await rpush('22', '{"id": "22", "ts": ');
      await producer().push({ id: '23', ts: '20241127130000', country: 'DE' });
      await rpush('23', JSON.stringify({ id: '23', ts: '20241127130100', contribution_id: '5' }));
      await rpush('23', JSON.stringify({ id: '23', ts: '20241127130200', contribution_id: '6' }));

      const counts = await consume();

      expect(counts).toMatchObject({ processed: 7, succeeded: 2, damaged: 5, retryScheduled: 0 });
      // Partitions run side by side: damaged rows come in no set order across them.
      const damaged = await rows('SELECT original_queue, error, message, retry_date FROM damaged ORDER BY error');
      expect(damaged.map((row) => row.error)).toEqual([
        'ContributionIdConflictError: contribution_id conflict for contribution tracking id 23: it already has contribution_id 5, the message says 6',
        expect.stringMatching(/^MalformedMessageError: body is not valid JSON/),
        'MalformedTrackingMessageError: id is missing',
        'MalformedTrackingMessageError: id must be a positive whole number',
        'MalformedTrackingMessageError: ts must be 14 digits, YYYYmmddHHMMSS in UTC',
      ]);
      expect(damaged[1]).toMatchObject({ original_queue: queue, message: '{"id": "22", "ts": ', retry_date: null });
      expect(await rows('SELECT id, contribution_id, country FROM contribution_tracking')).toEqual([{ id: 23, contribution_id: 5, country: 'DE' }]);
      expect(await stats()).toMatchObject({ ready: 0, inFlight: 0, dead: 0 });
    });

    it('should release the batch and fail the run when the database is down, losing nothing', async () => {
      await producer().pushBatch([first, update]);
      const downPool = (await import('mysql2/promise')).createPool({ uri: 'mysql://root@127.0.0.1:1/nothing', connectTimeout: 500 });

      // No reseeding of the id sequence here: the run goes straight to the queue.
      const run = consumeContributionTracking({
        backend,
        pool: downPool,
        redis: spec ? redis : undefined,
        partitionSpec: spec,
        damagedStore: createDamagedStore(database.db),
        retryPolicy: DEFAULT_RETRY_POLICY,
        logger,
        queue,
        sequenceKey,
        batchSize: 500,
        timeLimitSeconds: 0,
        messageLimit: 0,
      });

      await expect(run).rejects.toMatchObject({ name: 'DatabaseUnavailableError' });
      await downPool.end();
      expect(await stats()).toMatchObject({ ready: 2, inFlight: 0 });
    });
  });

  describe('with two consumers running at once', () => {
    it('should leave the same summary as a rebuild from the event log', async () => {
      const messages = randomTrackingMessages(300, 3000, 300, seededRandom(7));
      await producer().pushBatch(messages);
      const runOne = () => consumeWith(database.pool, 50);

      const [a, b] = await Promise.all([runOne(), runOne()]);
      const incremental = await snapshot();
      await database.pool.query('DELETE FROM contribution_tracking');
      await database.pool.query('DELETE FROM contribution_source');
      await rebuildTrackingSummary(database.pool, logger);

      expect(a.processed).toBeGreaterThan(0);
      expect(b.processed).toBeGreaterThan(0);
      expect(a.processed + b.processed).toBe(3300);
      expect(incremental.summary).toHaveLength(300);
      expect(await snapshot()).toEqual(incremental);
    });
  });

  if (partitions > 0) {
    describe('with messages left on the plain queue of the same name', () => {
      it('should write those first, then the partitions, stranding nothing at the switch', async () => {
        // pushed before the queue was partitioned (or by a legacy RPUSH producer), then one after
        await backend.pushBatch(queue, [first]);
        await redis.rpush(queue, JSON.stringify({ id: '31', ts: '20241127130000', country: 'DE' }));
        await producer().push(update);

        const counts = await consume();

        expect(counts).toMatchObject({ processed: 3, succeeded: 3, damaged: 0 });
        expect(await rows('SELECT id, contribution_id FROM contribution_tracking ORDER BY id')).toEqual([
          { id: 31, contribution_id: null },
          { id: 48213377, contribution_id: 95011231 },
        ]);
        expect(await backend.stats(queue)).toMatchObject({ ready: 0, inFlight: 0 });
        expect(await stats()).toMatchObject({ ready: 0, inFlight: 0 });
      });
    });

    describe('with two runs at once on the partitioned queue', () => {
      it("should share the partitions, write each id's events in push order and leave the summary a rebuild gives", async () => {
        // 15 ids with 80 events each, interleaved (an id comes back every 15 messages, in batches of
        // 10 now in one batch, now in the next), each id's pushed in their order
        const ids = 15;
        const events = 80;
        const messages: Array<Record<string, string>> = [];
        for (let n = 0; n < events; n++) {
          for (let i = 0; i < ids; i++) messages.push({ id: String(700_000 + i), ts: `2026120310${String(Math.floor(n / 60)).padStart(2, '0')}${String(n % 60).padStart(2, '0')}`, nonce: String(n), country: n % 2 ? 'DE' : 'BR' });
        }
        await producer().pushBatch(messages);

        const [a, b] = await Promise.all([consumeWith(database.pool, 10), consumeWith(database.pool, 10)]);

        expect(a.processed).toBeGreaterThan(0);
        expect(b.processed).toBeGreaterThan(0);
        expect(a.processed + b.processed).toBe(ids * events);
        expect(a.damaged + b.damaged).toBe(0);
        // The event log's ids are its arrival order: per tracking id, the order the messages were pushed in.
        const logged = await rows('SELECT contribution_tracking_id AS trackingId, message FROM contribution_tracking_event ORDER BY id');
        const order = new Map<number, number[]>();
        for (const row of logged) order.set(Number(row.trackingId), [...(order.get(Number(row.trackingId)) ?? []), Number(JSON.parse(String(row.message)).nonce)]);
        expect(order.size).toBe(ids);
        for (const [id, nonces] of order) expect({ id, nonces }).toEqual({ id, nonces: Array.from({ length: events }, (_, n) => n) });
        const incremental = await snapshot();
        expect((await rebuildTrackingSummary(database.pool, logger, { check: true, partitionSpec: spec })).differing).toEqual([]);
        await database.pool.query('DELETE FROM contribution_tracking');
        await database.pool.query('DELETE FROM contribution_source');
        await rebuildTrackingSummary(database.pool, logger, { partitionSpec: spec });
        expect(await snapshot()).toEqual(incremental);
        expect(await stats()).toMatchObject({ ready: 0, inFlight: 0, delayed: 0, dead: 0 });
      });
    });
  }

  describe('with 10,000 random messages over 1,000 ids, shuffled and partly duplicated', () => {
    it('should keep a summary equal to the rebuild from the event log and to a plain reference computation', async () => {
      const messages = randomTrackingMessages(1000, 9000, 1000, seededRandom(20241127));
      expect(messages).toHaveLength(10_000);
      await producer().pushBatch(messages);

      const counts = await consume();
      const incremental = await snapshot();
      await database.pool.query('DELETE FROM contribution_tracking');
      await database.pool.query('DELETE FROM contribution_source');
      const rebuild = await rebuildTrackingSummary(database.pool, logger);
      const rebuilt = await snapshot();

      const reference = referenceSummary(messages, await crmViewFormAmounts(database.pool));
      expect(reference.summary.filter((row) => typeof row.form_amount === 'string' && /^(GBP|eur) /.test(row.form_amount)).length).toBeGreaterThan(50);
      expect(reference.summary.filter((row) => typeof row.payments_form === 'string' && row.payments_form !== 'ingenico.v=old').length).toBeGreaterThan(50);
      expect(reference).toMatchObject({ duplicates: expect.any(Number), conflicts: expect.any(Number) });
      expect(reference.duplicates).toBeGreaterThan(500);
      expect(reference.conflicts).toBeGreaterThan(10);
      expect(counts.processed).toBe(10_000);
      expect(counts.dropped).toBe(reference.duplicates);
      expect(counts.damaged).toBe(reference.conflicts);
      expect(rebuild.ids).toBe(1000);
      expect(incremental.summary).toHaveLength(1000);
      expect(rebuilt).toEqual(incremental);
      expect(incremental.summary.map(withoutUsdAmount)).toEqual(reference.summary);
      expect(incremental.sources).toEqual(reference.sources);
      expect((await rebuildTrackingSummary(database.pool, logger, { check: true })).differing).toEqual([]);
    });
  });
});

/** A wire message: `ts`, or the CRM's `tracking_date` instead, or (the CRM's contribution_id update) no time at all. */
type Wire = { id: string; ts?: string; tracking_date?: string } & Record<string, string>;

/** A small deterministic PRNG (mulberry32), so that a failure can be replayed. */
function seededRandom(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const NEWER_AMOUNTS = ['10', '7.125', '10.0049', '0.0044', 'ten'];
const NEWER_CURRENCIES = ['GBP', 'eur', 'POUND'];

/**
 * What the CRM's view made of each amount and currency of the lists above: `<currency>
 * ROUND(amount, 2)` over its decimal(20,3) and varchar(3) columns, computed by MariaDB; a value
 * those columns cannot hold has none.
 */
async function crmViewFormAmounts(pool: Pool): Promise<Map<string, string>> {
  const view = new Map<string, string>();
  for (const amount of NEWER_AMOUNTS.filter((a) => /^[0-9]+(\.[0-9]+)?$/.test(a))) {
    for (const currency of NEWER_CURRENCIES.filter((c) => c.length === 3)) {
      const [[row]] = await pool.query<RowDataPacket[]>("SELECT concat(?, ' ', ROUND(CAST(? AS DECIMAL(20,3)), 2)) AS form_amount", [currency, amount]);
      view.set(`${currency} ${amount}`, String(row!.form_amount));
    }
  }
  return view;
}

const UTM_SOURCES = ['B1_banner.lp_one.cc', 'B2.no-LP.paypal', 'B3_only_two.parts', 'a.b.c.d', 'plain', 'x'.repeat(60) + '.' + 'y'.repeat(80) + '.cc'];
const COUNTRIES = ['BR', 'DE', 'US', 'FRA' /* too long: truncated to FR */];

/** `unique` distinct messages plus `duplicates` exact copies of random ones, shuffled. */
function randomTrackingMessages(ids: number, unique: number, duplicates: number, random: () => number): Wire[] {
  const pick = <T>(values: readonly T[]): T => values[Math.floor(random() * values.length)]!;
  const base = 500_000;
  const messages: Wire[] = [];
  for (let i = 0; i < unique; i++) {
    const id = base + (i < ids ? i : Math.floor(random() * ids));
    // Few distinct seconds per id, so that equal ts (ties) happen often.
    const minute = String(Math.floor(random() * 3)).padStart(2, '0');
    const second = String(Math.floor(random() * 4)).padStart(2, '0');
    const message: Wire = { id: String(id), nonce: String(i) };
    const dated = random();
    if (dated < 0.1) {
      // no time: applied where it arrived among the id's messages
    } else if (dated < 0.25) message.tracking_date = `2024-11-27 13:${minute}:${second}`;
    else message.ts = `2024112713${minute}${second}`;
    if (random() < 0.4) message.utm_source = pick(UTM_SOURCES);
    if (random() < 0.4) message.country = pick(COUNTRIES);
    if (random() < 0.3) message.language = pick(['pt', 'de', 'en', 'pt-br']);
    if (random() < 0.3) message.utm_medium = pick(['sitenotice', 'email', 'm'.repeat(150)]);
    if (random() < 0.2) message.form_amount = pick(['EUR 15.00', 'BRL 25.00']);
    if (random() < 0.1) message.payments_form = 'ingenico.v=old';
    // The current frontend's fields, which make form_amount and payments_form where a message has none of its own.
    if (random() < 0.2) message.amount = pick(NEWER_AMOUNTS);
    if (random() < 0.2) message.currency = pick(NEWER_CURRENCIES);
    if (random() < 0.15) message.gateway = pick(['adyen', 'paypal_ec']);
    if (random() < 0.15) message.appeal = pick(['JimmyQuote', '']);
    if (random() < 0.15) message.payments_form_variant = 'monthlyConvert';
    if (random() < 0.2) message.optout = pick(['0', '1']);
    if (random() < 0.2) message.anonymous = pick(['0', '1']);
    if (random() < 0.1) message.note = pick(['thanks', 'é'.repeat(10)]);
    // Mostly the id's own contribution, sometimes a conflicting one.
    if (random() < 0.1) message.contribution_id = String(id * 10 + (random() < 0.8 ? 1 : 2));
    messages.push(message);
  }
  for (let i = 0; i < duplicates; i++) messages.push({ ...pick(messages.slice(0, unique)) });
  for (let i = messages.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [messages[i], messages[j]] = [messages[j]!, messages[i]!];
  }
  return messages;
}

const LIMITS: Record<string, number> = {
  form_amount: 20, referrer: 4096, utm_source: 128, utm_medium: 128, utm_campaign: 128, utm_key: 128,
  payments_form: 128, language: 8, country: 2,
};
const TEXT = ['form_amount', 'note', 'referrer', 'utm_source', 'utm_medium', 'utm_campaign', 'utm_key', 'payments_form', 'language', 'country'];

/** A message's own time as `YYYYmmddHHMMSS`: its ts, else its tracking_date; undefined without either. */
function ownTime(message: Wire): string | undefined {
  return message.ts ?? message.tracking_date?.replace(/[-: ]/g, '');
}

/**
 * The merge rules written out plainly, independent of lib/tracking: messages in delivery order
 * (one FIFO consumer), exact duplicates dropped, a second different contribution_id rejected;
 * a message's time is its ts, else its tracking_date; one without either takes the latest time
 * among its id's messages accepted before it (none: before every time); per field the value of
 * the latest time, the later arrival on a tie; ts the earliest time a message carried. A message
 * without a form_amount (payments_form) of its own counts as carrying what the CRM's view made of
 * its amount and currency (gateway with appeal, else with payments_form_variant).
 */
function referenceSummary(messages: Wire[], crmView: Map<string, string>) {
  const seen = new Set<string>();
  const contribution = new Map<string, string>();
  const accepted = new Map<string, Array<{ message: Wire; arrival: number }>>();
  let duplicates = 0;
  let conflicts = 0;
  messages.forEach((message, arrival) => {
    const key = JSON.stringify(Object.entries(message).sort());
    if (message.contribution_id && contribution.has(message.id) && contribution.get(message.id) !== message.contribution_id) {
      conflicts++;
      return;
    }
    if (seen.has(key)) {
      duplicates++;
      return;
    }
    seen.add(key);
    if (message.contribution_id) contribution.set(message.id, message.contribution_id);
    const list = accepted.get(message.id) ?? [];
    list.push({ message, arrival });
    accepted.set(message.id, list);
  });
  const summary: Array<Record<string, unknown>> = [];
  const sources: Array<Record<string, unknown>> = [];
  for (const id of [...accepted.keys()].sort((a, b) => Number(a) - Number(b))) {
    let latest = '';
    const timed = accepted.get(id)!.map((event) => {
      const own = ownTime(event.message);
      if (own !== undefined && own > latest) latest = own;
      return { ...event, at: own ?? latest };
    });
    const events = timed.sort((a, b) => (a.at === b.at ? a.arrival - b.arrival : a.at < b.at ? -1 : 1));
    const row: Record<string, unknown> = { id: Number(id), contribution_id: contribution.has(id) ? Number(contribution.get(id)) : null };
    for (const field of TEXT) row[field] = null;
    row.anonymous = null;
    row.optout = null;
    const times = events.map((event) => ownTime(event.message)).filter((t) => t !== undefined);
    row.ts = times.length > 0 ? times.reduce((a, b) => (b < a ? b : a)) : null;
    for (const { message } of events) {
      for (const field of TEXT) if (message[field] !== undefined) row[field] = LIMITS[field] ? message[field]!.slice(0, LIMITS[field]) : message[field];
      if (message.anonymous !== undefined) row.anonymous = Number(message.anonymous);
      if (message.optout !== undefined) row.optout = Number(message.optout);
      // A message without its own form_amount / payments_form: what the CRM's view made of its own newer fields, if anything.
      if (message.form_amount === undefined) {
        const made = crmView.get(`${message.currency} ${message.amount}`);
        if (made !== undefined) row.form_amount = made;
      }
      if (message.payments_form === undefined && message.gateway !== undefined) {
        if (message.appeal !== undefined) row.payments_form = `${message.gateway}.${message.appeal}`;
        else if (message.payments_form_variant !== undefined) row.payments_form = `${message.gateway}.v=${message.payments_form_variant}`;
      }
    }
    summary.push(row);
    const parts = typeof row.utm_source === 'string' ? row.utm_source.split('.') : [];
    if (parts.length === 3) sources.push({ contribution_tracking_id: Number(id), banner: parts[0], landing_page: parts[1], payment_method: parts[2] });
  }
  return { summary, sources, duplicates, conflicts };
}

function withoutUsdAmount(row: RowDataPacket): Record<string, unknown> {
  const { usd_amount: _ignored, ...rest } = row;
  return rest;
}
