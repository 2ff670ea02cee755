/**
 * The web console end to end in headless Chromium (Debian's /usr/bin/chromium, driven by
 * playwright-core): an operator finds a damaged message, edits and resends it and sees the
 * consumer take it; bulk resends with a dry run; redrives dead letters; reveals a message (and
 * the reveal is audited); sees a queue's rates chart, the rectifier's last runs and queues a run
 * for a gateway (audited), the impressions loader's lag against a real Kafka (the kcat mock) and a
 * campaign's chart; and requests without a session or with a bad CSRF token are refused.
 * Each page is saved as <page>.png in CONSOLE_SCREENSHOT_DIR, by default .scratch/console (not
 * tracked, so that a test run leaves the work tree clean); `npm run console:screenshots` writes
 * the committed ones in docs/console (the README shows two).
 *
 * The queues have their real names in a Redis logical database of this test's own (15), so
 * that the screenshots read like production.
 */
import { mkdirSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { serve, type ServerType } from '@hono/node-server';
import { eq } from 'drizzle-orm';
import { chromium, type Browser, type Page } from 'playwright-core';
import { retryPolicyFromConfig } from '../../../lib/consumer/retry-policy';
import { bannerimpressions, consoleAudit, contributionTracking, contributionTrackingEvent, damaged, impressionsKafkaOffsets, pending } from '../../../lib/db/schema';
import { consumePending } from '../../../lib/pending/consume-pending';
import { parseTrigger } from '../../../lib/pending/rectify-trigger';
import { recordGatewayRun } from '../../../lib/rectifier/run-history';
import { produce, quietKafkaClient, startKafkaMock, type KafkaMock } from '../../../scripts/stack/kafka';
import { CONSOLE_TEST_TOKEN, createConsoleFixture, donorMessage, REDIS_URL, type ConsoleFixture } from '../../support/console';

jest.setTimeout(60_000);

const ROOT = path.resolve(__dirname, '../../..');
const SHOTS = path.resolve(ROOT, process.env.CONSOLE_SCREENSHOT_DIR ?? '.scratch/console');
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const redisUrl = (() => {
  const url = new URL(REDIS_URL);
  url.pathname = '/15';
  return url.toString();
})();

describe('the web console in a browser', () => {
  let f: ConsoleFixture;
  let kafka: KafkaMock;
  let server: ServerType;
  let base: string;
  let browser: Browser;
  let page: Page;

  const shot = (name: string) => page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });
  const storeDamaged = async (queue: string, body: Record<string, unknown>, error: string) => {
    await f.damagedStore.insert({ queue, body: JSON.stringify(body), error, trace: `${error}\n    at consumer (lib/consumer/settle.ts)` });
  };
  const consumeOnce = () =>
    consumePending(
      { backend: f.backend, db: f.database.db, damagedStore: f.damagedStore, retryPolicy: retryPolicyFromConfig({ REQUEUE_DELAY_SECONDS: 1200, REQUEUE_MAX_AGE_SECONDS: 12000 }), logger: f.deps.logger },
      { queue: f.queues.pending, timeLimitSeconds: 5, messageLimit: 0, batchSize: 50, resolveMode: 'delete' },
    );

  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    kafka = await startKafkaMock();
    f = await createConsoleFixture({
      redisUrl,
      queues: { pending: 'pending', paymentsInit: 'payments-init', tracking: 'contribution-tracking', other: 'donations' },
      kafkaBrokers: kafka.brokers,
      impressionsTopics: [IMPRESSIONS_TOPIC],
    });
    server = await new Promise<ServerType>((resolve) => {
      const started: ServerType = serve({ fetch: f.app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(started));
    });
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/console`;
    browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
    page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    await seedReadOnlyPages(f, kafka);
  });

  afterAll(async () => {
    await browser?.close();
    (server as { closeAllConnections?: () => void } | undefined)?.closeAllConnections?.();
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    await f?.close();
    await kafka?.stop();
  });

  it('should refuse a page without a session (401) and sign the operator in', async () => {
    const anonymous = await page.goto(`${base}/damaged`);
    expect(anonymous!.status()).toBe(401);

    await page.goto(`${base}/login`);
    await page.fill('input[name=name]', 'Grace');
    await page.fill('input[name=token]', CONSOLE_TEST_TOKEN);
    await shot('login');
    await page.click('#login button');

    await expect(page.locator('h1').textContent()).resolves.toBe('Queues');
  });

  it('should find a damaged message, edit it, resend it, and see the consumer store it', async () => {
    await storeDamaged('pending', donorMessage('E2E-1001', { date: 'yesterday' }), 'MalformedMessageError: invalid pending message: date is not unix seconds, an ISO 8601 string or YYYY-mm-dd HH:MM:SS');
    await storeDamaged('pending', donorMessage('E2E-1002', { gateway_txn_id: 'TXN-77' }), 'DatabaseError: Data too long for column payment_method');
    await storeDamaged('payments-init', { gateway: 'test-gateway', order_id: 'E2E-1003', date: 1764300000, payments_final_status: 'complete' }, 'RetryableError: processor answered 429');

    await page.goto(`${base}/`);
    await shot('queues');
    await page.click('header a:has-text("Damaged")');
    await shot('damaged-search');
    await page.fill('#search input[name=order_id]', 'E2E-1001');
    await page.click('#search button');
    await page.click('#results a');
    await expect(page.locator('textarea').inputValue()).resolves.not.toContain('donor@example.org');
    await shot('damaged-row');
    const edited = (await page.locator('textarea').inputValue()).replace('"yesterday"', '1764300000');
    await page.fill('textarea', edited);
    await page.click('#resend button');

    await expect(page.locator('[role=status]').textContent()).resolves.toContain('queued on pending');
    const counts = await consumeOnce();
    expect(counts).toMatchObject({ succeeded: 1, damaged: 0 });
    const [row] = await f.database.db.select().from(pending).where(eq(pending.orderId, 'E2E-1001'));
    expect(row!.message).toMatchObject({ date: 1764300000, email: 'donor@example.org' });
  });

  it('should show a bulk dry run, send nothing until confirmed, then resend the valid rows', async () => {
    for (const n of [1, 2, 3]) await storeDamaged('pending', donorMessage(`BULK-${n}`), 'DatabaseUnavailableError: connection lost (ECONNRESET)');
    await storeDamaged('pending', { gateway: 'test-gateway', order_id: 'BULK-4' }, 'DatabaseUnavailableError: connection lost (ECONNRESET)');

    await page.goto(`${base}/damaged?error=ECONNRESET`);
    await page.click('#bulk button');
    await shot('bulk-dry-run');
    expect((await f.backend.stats('pending')).ready).toBe(0);
    await page.click('#execute button');

    await expect(page.locator('[role=status]').textContent()).resolves.toContain('3 messages were queued again; 1 invalid rows stayed');
    expect(await consumeOnce()).toMatchObject({ succeeded: 3 });
  });

  it('should redrive a queue\'s dead letters', async () => {
    await f.backend.push('donations', donorMessage('DEAD-1'));
    const [delivery] = await f.backend.lease('donations');
    await f.backend.release('donations', delivery!.receipt);
    await f.backend.lease('donations'); // past maxReceiveCount: dead-lettered
    await new Promise((resolve) => setTimeout(resolve, 1200)); // the backend writes its rate counts within a second

    await page.goto(`${base}/queues/donations`);
    await expect(page.locator('#dead').textContent()).resolves.toBe('1');
    await expect(page.locator('#rates-chart [data-series="pushed"]').textContent()).resolves.not.toBe('0');
    await shot('queue');
    await page.click('#redrive button');

    await expect(page.locator('[role=status]').textContent()).resolves.toContain('1 dead letters were moved back');
    expect(await f.backend.stats('donations')).toMatchObject({ dead: 0, ready: 1 });
  });

  it('should reveal a message only with an audit row, and refuse a POST with a bad CSRF token (403)', async () => {
    await page.goto(`${base}/damaged?order_id=E2E-1002`);
    await page.click('#results a');
    const url = page.url();
    const forged = await page.request.post(`${url}/delete`, { form: { _csrf: 'forged' } });
    await page.click('#reveal button');

    expect(forged.status()).toBe(403);
    await expect(page.locator('#revealed').textContent()).resolves.toContain('donor@example.org');
    const id = Number(url.split('/').pop());
    expect(await f.database.db.select().from(damaged).where(eq(damaged.id, id))).toHaveLength(1);
    expect((await f.database.db.select().from(consoleAudit).where(eq(consoleAudit.action, 'damaged.reveal'))).map((r) => r.target)).toEqual([`damaged:${id}`]);
  });

  it('should show the rectifier\'s last runs and queue a run for a gateway from the pending page, audited', async () => {
    await page.goto(`${base}/pending?gateway=test-gateway&order_id=E2E-1001`);
    await expect(page.locator('#rectifier-runs').textContent()).resolves.toContain('completed 41');
    await expect(page.locator('#processor-statuses').textContent()).resolves.toContain('complete');
    await shot('pending');

    await page.selectOption('#trigger-rectify select', 'adyen');
    await page.click('#trigger-rectify button');

    await expect(page.locator('[role=status]').textContent()).resolves.toContain('A rectifier run for adyen was queued');
    const [delivery] = await f.backend.lease(f.rectifyQueue);
    expect(parseTrigger(JSON.parse(delivery!.body)).gateway).toBe('adyen');
    const audit = await f.database.db.select().from(consoleAudit).where(eq(consoleAudit.action, 'pending.trigger-rectify'));
    expect(audit.map((r) => r.target)).toEqual(['gateway:adyen']);
  });

  it('should show the impressions loader\'s lag per partition and a campaign\'s events per minute', async () => {
    await page.goto(`${base}/impressions?campaign=C2612_e2e`);

    await expect(page.locator('#topic-lag').textContent()).resolves.toContain(String(4 * 1200 - (4 * 1000 + 37 * 6)));
    await expect(page.locator('#campaign-chart [data-series="banner impressions"]').textContent()).resolves.toBe(String(CAMPAIGN_TOTAL));
    await shot('impressions');
  });

  it('should show a tracking id\'s history and the audit log', async () => {
    for (const [name, url] of [
      ['tracking', `${base}/tracking?id=5000001`],
      ['audit', `${base}/audit`],
    ] as const) {
      const response = await page.goto(url);
      expect({ name, status: response!.status() }).toEqual({ name, status: 200 });
      await shot(name);
    }
    await expect(page.locator('#audit').textContent()).resolves.toContain('damaged.edit-resend');
  });
});

const IMPRESSIONS_TOPIC = 'centralnotice-impressions';
/** Banner impressions of the e2e campaign, per minute over the last 50 (inside the chart's hour even when a minute turns during the run). */
const CAMPAIGN_COUNTS = Array.from({ length: 50 }, (_, i) => Math.round(40 + 25 * Math.sin(i / 6) + (i % 7)));
const CAMPAIGN_TOTAL = CAMPAIGN_COUNTS.reduce((a, b) => a + b, 0);

/**
 * Rows for the read-only pages: pending rows of several ages, the rectifier's last runs, a
 * tracking id, 1200 events per partition in Kafka with stored offsets behind them, a campaign's
 * last hour.
 */
async function seedReadOnlyPages(f: ConsoleFixture, kafka: KafkaMock): Promise<void> {
  const minute = Math.floor(Date.now() / 60_000) * 60_000;
  const runs = [
    { gateway: 'ingenico', source: 'scheduled' as const, outcomes: { completed: 41, cancelled: 6, 'left-pending': 3 }, processorStatuses: { complete: 41, failed: 6, pending: 3 }, stoppedBecause: 'younger-row' as const },
    { gateway: 'adyen', source: 'triggered' as const, outcomes: { completed: 9, 'retry-scheduled': 1 }, processorStatuses: { complete: 9 }, stoppedBecause: 'empty' as const },
  ];
  for (const [i, run] of runs.entries()) {
    const attempted = Object.values(run.outcomes).reduce((a, b) => a + b, 0);
    await recordGatewayRun(f.database.db, { gateway: run.gateway, source: run.source, startedAt: new Date(minute - (i + 2) * 60_000), finishedAt: new Date(minute - (i + 1) * 60_000), run: { attempted, rowsResolved: attempted, outcomes: run.outcomes, processorStatuses: run.processorStatuses, stoppedBecause: run.stoppedBecause } }, 10);
  }
  await produce(quietKafkaClient(kafka.brokers), IMPRESSIONS_TOPIC, [0, 1, 2, 3].flatMap((partition) => Array.from({ length: 1200 }, () => ({ partition, value: '{}' }))));
  await f.database.db.insert(bannerimpressions).values(CAMPAIGN_COUNTS.map((count, i) => ({ timestamp: new Date(minute - (49 - i) * 60_000), banner: 'B2612_e2e', campaign: 'C2612_e2e', count, projectId: 1, languageId: 1, countryId: 1 })));
  const hoursAgo = (h: number) => new Date(Date.now() - h * 3600_000);
  const ages = { 'test-gateway': [0.2, 0.5, 2, 3, 30, 200], ingenico: [0.1, 0.3, 0.4, 8, 800], paypal_ec: [1.5, 10, 12, 14] };
  for (const [gateway, hours] of Object.entries(ages)) {
    for (const [i, h] of hours.entries()) {
      await f.database.db.insert(pending).values({ date: hoursAgo(h), gateway, orderId: `${gateway}-${i}`, message: { gateway, order_id: `${gateway}-${i}`, email: 'donor@example.org' } });
    }
  }
  const events = [
    { ts: '20261201100000', message: { id: '5000001', ts: '20261201100000', utm_source: 'B_2612.LP_x.cc', language: 'en', country: 'XX' } },
    { ts: '20261201100412', message: { id: '5000001', ts: '20261201100412', contribution_id: '7000001', form_amount: 'EUR 15.00' } },
  ];
  for (const [i, e] of events.entries()) await f.database.db.insert(contributionTrackingEvent).values({ contributionTrackingId: 5000001, ts: e.ts, messageHash: `${'0'.repeat(63)}${i}`, message: JSON.stringify(e.message) });
  await f.database.db.insert(contributionTracking).values({ id: 5000001, contributionId: 7000001, utmSource: 'B_2612.LP_x.cc', language: 'en', country: 'XX', formAmount: 'EUR 15.00', ts: '20261201100412' });
  for (const partition of [0, 1, 2, 3]) {
    await f.database.db.insert(impressionsKafkaOffsets).values({ consumerGroup: f.options.consumerGroup, topic: IMPRESSIONS_TOPIC, partition, nextOffset: 1000 + partition * 37, countedEvents: 990 + partition, ignoredEvents: 10, invalidEvents: partition, updatedAt: new Date() });
  }
}
