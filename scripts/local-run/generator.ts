/**
 * The traffic generator: every second, `rate` donor journeys (a signed POST to the tracking
 * endpoint, the pending message, the payments-init outcome and, for a completed payment, the
 * tracking update from the TypeScript producer; every tenth pending message pushed twice),
 * `rate` banner and `rate` landing page impression events to Kafka. Once at the start: orphans
 * at the processors' simulators, rows old enough to expire and the deliberately bad traffic of
 * `seedSpecialTraffic`, and alongside the traffic the returned donors of `settleReturnedDonors`.
 * Every order the lifecycle checks is recorded in the tally with how it must end.
 */
import type { Redis } from 'ioredis';
import type { Producer } from 'kafkajs';
import type { DamagedStore } from '../../lib/consumer/damaged-store';
import type { Db } from '../../lib/db/client';
import { isJsonObject } from '../../lib/json-object';
import { isCompletionMessage } from '../../lib/pending/complete-order';
import { pendingBatchHandler } from '../../lib/pending/consume-pending';
import type { ResolveMode } from '../../lib/pending/pending-store';
import { queueProducer } from '../../lib/queue/partitions';
import type { QueueBackend } from '../../lib/queue/types';
import { SIGNATURE_HEADER, signTrackingRequest } from '../../lib/tracking/signature';
import type { TrackingProducer } from '../../lib/tracking/producer';
import { signRequest } from '../../lib/signing';
import { COMPLETE_PATH, orderPath, PENDING_SIGNATURE_HEADER } from '../../lib/pending/http-endpoint';
import type { LocalProcessors } from './processors';
import type { RunTally } from './summary';
import {
  bannerImpressionEvent,
  donorJourney,
  landingPageImpressionEvent,
  malformedPendingMessage,
  ORPHAN_KIND_COUNT,
  paymentsInitMessage,
  processorOrphan,
  pendingMessage,
  stalePendingMessage,
  trackingContributionEvent,
  trackingFirstEvent,
  truncatedLegacyBody,
  type Random,
} from './traffic';

export interface GeneratorDeps {
  backend: QueueBackend;
  /** The run's Redis database, for the legacy RPUSH. */
  redis: Redis;
  trackingProducer: TrackingProducer;
  kafka: Producer;
  /** The Worldline, Adyen and PayPal simulators the rectifier settles orphans with. */
  processors: LocalProcessors;
  damagedStore: DamagedStore;
  /** The run's database, for the consumer that crashes after storing its batch. */
  db: Db;
  /** PENDING_RESOLVE_MODE, as the pending consumer has it. */
  resolveMode: ResolveMode;
  /** The tracking endpoint (`POST .../contribution-tracking`), or null to use the TypeScript producer. */
  trackingUrl: string | null;
  trackingSecret: string;
  /** Where the pending endpoint's paths are served (serverless-offline's HTTP URL), or null when serverless.yml has no pending-orders. */
  pendingBaseUrl: string | null;
  pendingSecret: string;
  tally: RunTally;
  random: Random;
  queues: { pending: string; paymentsInit: string; tracking: string; donations: string };
  topics: { banner: string; landingPage: string };
  /** Orphans are dated this many seconds ago: a little short of the rectifier's minimum age, so they become orphans during the run. */
  orphanAgeSeconds: number;
  /** Stale rows are dated this many days ago (past expire-pending's age). */
  staleAgeDays: number;
}

/** Contribution tracking ids of orphans and stale rows: far above the sequence's ids. */
const SPECIAL_ID_BASE = 900_000_000;
/** Contribution ids given to completed journeys: tracking id + this. */
const CONTRIBUTION_ID_BASE = 5_000_000;
/** Every this many journeys, the frontend's push of the pending message is retried after a lost reply: the message twice. */
const DUPLICATE_EVERY = 10;
/** Every this many orphans, its pending message was pushed twice. */
const DUPLICATE_ORPHAN_EVERY = 4;
/** How long the CRM waits for a returned donor's pending row to be imported before it settles the order anyway. */
const COMPLETION_WAIT_MS = 30_000;

/** Produces traffic for `seconds`, `rate` per kind per second; stops early when `signal` aborts. */
export async function generateTraffic(deps: GeneratorDeps, { seconds, rate, signal }: { seconds: number; rate: number; signal: AbortSignal }): Promise<void> {
  let journeys = 0;
  let events = 0;
  const started = Date.now();
  // Runs for `seconds` of wall time: when producing falls behind the rate (cold starts of the
  // endpoint's workers), fewer messages go out rather than the run taking longer.
  const end = started + seconds * 1000;
  for (let second = 0; Date.now() < end && !signal.aborted; second++) {
    const now = new Date();
    const batch = Array.from({ length: rate }, () => donorJourney(++journeys, deps.random));
    const banner = Array.from({ length: rate }, () => bannerImpressionEvent(++events, now, deps.random));
    const landing = Array.from({ length: rate }, () => landingPageImpressionEvent(++events, now, deps.random));
    await Promise.all([
      inParallel(batch, 4, (journey) => runJourney(deps, journey)),
      produce(deps, deps.topics.banner, banner),
      produce(deps, deps.topics.landingPage, landing),
    ]);
    // Keep the pace: the next second starts one second after this one did.
    const wait = Math.min(started + (second + 1) * 1000, end) - Date.now();
    if (wait > 0 && !signal.aborted) await sleep(wait, signal);
  }
}

async function runJourney(deps: GeneratorDeps, journey: ReturnType<typeof donorJourney>): Promise<void> {
  const now = new Date();
  const trackingId = await trackFirst(deps, trackingFirstEvent(journey, now));
  if (trackingId === null) return;
  const pending = pendingMessage(journey, trackingId, now);
  await deps.backend.push(deps.queues.pending, pending, { sourceType: 'payments' });
  deps.tally.push(deps.queues.pending);
  if (journey.n % DUPLICATE_EVERY === 0) {
    await deps.backend.push(deps.queues.pending, pending, { sourceType: 'payments' });
    deps.tally.push(deps.queues.pending);
    deps.tally.duplicates.push({ gateway: journey.gateway, orderId: String(pending.order_id) });
  }
  await deps.backend.push(deps.queues.paymentsInit, paymentsInitMessage(journey, trackingId, now), { sourceType: 'payments' });
  deps.tally.push(deps.queues.paymentsInit);
  if (journey.outcome === 'complete') {
    await deps.trackingProducer.trackContribution(trackingContributionEvent(trackingId, trackingId + CONTRIBUTION_ID_BASE, new Date()));
    deps.tally.push(deps.queues.tracking);
  }
}

/** The first tracking event through the HTTP endpoint (signed), else the TypeScript producer. */
async function trackFirst(deps: GeneratorDeps, event: Record<string, unknown>): Promise<number | null> {
  if (deps.trackingUrl === null) {
    const id = await deps.trackingProducer.trackContribution(event);
    deps.tally.push(deps.queues.tracking);
    return id;
  }
  const body = JSON.stringify(event);
  const response = await fetch(deps.trackingUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json', [SIGNATURE_HEADER]: signTrackingRequest(deps.trackingSecret, body) },
    body,
    signal: AbortSignal.timeout(30_000),
  });
  deps.tally.httpAnswer(response.status);
  const answer = (await response.json().catch(() => ({}))) as { id?: string };
  if (response.status !== 202 || !answer.id) return null;
  deps.tally.push(deps.queues.tracking);
  return Number(answer.id);
}

async function produce(deps: GeneratorDeps, topic: string, events: object[]): Promise<void> {
  if (events.length === 0) return;
  await deps.kafka.send({ topic, messages: events.map((event) => ({ value: JSON.stringify(event) })) });
  deps.tally.produce(topic, events.length);
}

/**
 * The traffic that gives the jobs around the pipeline their work, once per run:
 * - orphans at the Worldline, Adyen and PayPal simulators (processorOrphan: settled, released,
 *   left for people, one failed request per processor), dated so that they reach the rectifier's
 *   minimum age a few seconds into the run; every fourth pushed twice; the antifraud `review`
 *   outcomes of those a person must decide;
 * - pending rows older than the expiry age for expire-pending;
 * - a pending message without gateway and order id, and a legacy RPUSH cut short (both end in
 *   damaged without a retry date), a tracking message with a bad id pushed by a buggy producer;
 * - a tracking POST with a wrong signature (401) and one with a bad body (400);
 * - a damaged row whose retry date has come, as a consumer's RetryableError leaves it (no
 *   consumer of this project throws one today), for requeue-damaged to push back;
 * - a donation the CRM stand-in cannot import (it crashes on it until it is dead-lettered);
 * - an impression event the loader rejects as invalid.
 */
export async function seedSpecialTraffic(deps: GeneratorDeps, { orphans, stale }: { orphans: number; stale: number }): Promise<void> {
  if (orphans < ORPHAN_KIND_COUNT) throw new Error(`the run needs at least ${ORPHAN_KIND_COUNT} orphans, one of each kind`);
  const now = new Date();
  let n = 0;
  const orphanMessages = [];
  const reviews = [];
  const orphanDate = new Date(now.getTime() - deps.orphanAgeSeconds * 1000);
  for (let i = 0; i < orphans; i++) {
    const orphan = processorOrphan(i, SPECIAL_ID_BASE + ++n, orphanDate, deps.random);
    deps.processors.apply(orphan.scenario);
    orphanMessages.push(orphan.message);
    if (i % DUPLICATE_ORPHAN_EVERY === 0) {
      orphanMessages.push(orphan.message);
      deps.tally.duplicates.push({ gateway: String(orphan.message.gateway), orderId: String(orphan.message.order_id) });
    }
    if (orphan.paymentsInit) reviews.push(orphan.paymentsInit);
    deps.tally.orphans.push({ gateway: String(orphan.message.gateway), orderId: String(orphan.message.order_id), expect: orphan.expect });
  }
  // Worldline and Adyen fail one request each (PayPal's orphans carry their own failure).
  deps.processors.failOnce('worldline', 'payments.get');
  deps.processors.failOnce('adyen', 'payments.details');
  // The antifraud outcomes first: the rectifier must see `review` before it may approve or capture.
  if (reviews.length > 0) {
    await deps.backend.pushBatch(deps.queues.paymentsInit, reviews, { sourceType: 'payments' });
    deps.tally.push(deps.queues.paymentsInit, reviews.length);
  }
  const staleMessages = Array.from({ length: stale }, (_, i) => stalePendingMessage(i, SPECIAL_ID_BASE + ++n, now, deps.staleAgeDays, deps.random));
  const badJourney = donorJourney(0, deps.random);
  const pendingBatch = [...orphanMessages, ...staleMessages, malformedPendingMessage(badJourney, SPECIAL_ID_BASE + ++n, now)];
  await deps.backend.pushBatch(deps.queues.pending, pendingBatch, { sourceType: 'payments' });
  await deps.redis.rpush(deps.queues.pending, truncatedLegacyBody(SPECIAL_ID_BASE + ++n));
  deps.tally.push(deps.queues.pending, pendingBatch.length + 1);

  // Through the queue's routing (partitioned by id), as a buggy producer using the library would push it.
  await queueProducer(deps.backend, deps.queues.tracking).push({ id: 'not-a-number', ts: '20261128010203', utm_source: 'buggy-producer' });
  deps.tally.push(deps.queues.tracking);
  if (deps.trackingUrl !== null) {
    for (const [body, signature] of [
      ['{"utm_source":"unsigned"}', `t=${Math.floor(Date.now() / 1000)},v1=${'0'.repeat(64)}`],
      ['{"id":"-5","ts":"yesterday"}', signTrackingRequest(deps.trackingSecret, '{"id":"-5","ts":"yesterday"}')],
    ] as const) {
      const response = await fetch(deps.trackingUrl, { method: 'POST', headers: { 'content-type': 'application/json', [SIGNATURE_HEADER]: signature }, body, signal: AbortSignal.timeout(30_000) });
      deps.tally.httpAnswer(response.status);
    }
  }


  const retried = pendingMessage(donorJourney(++n, deps.random), SPECIAL_ID_BASE + n, now);
  await deps.damagedStore.insert({ queue: deps.queues.pending, body: JSON.stringify(retried), error: 'payment not yet confirmed (simulated retryable failure)', retryDate: now, originalDate: now }, now);

  await deps.backend.push(deps.queues.donations, { ...pendingMessage(donorJourney(++n, deps.random), SPECIAL_ID_BASE + n, now), gross: 'twenty' }, { sourceType: 'payments' });
  deps.tally.push(deps.queues.donations);

  const invalid = bannerImpressionEvent(0, now, deps.random) as { event: Record<string, unknown> };
  invalid.event.country = 'Utopia';
  await produce(deps, deps.topics.banner, [invalid]);
}

/**
 * Donors who came back, and the orders settled for them (docs/architecture.md §7): half by the
 * frontend's completion message on the pending queue, half by the CRM through the signed
 * endpoint, which first reads the order's rows (GET, as the CRM merges a sparse completion) and
 * then settles it (POST). Afterwards each order's pending message is delivered once more, as a
 * late redelivery: it must be dropped, not bring the order back for the rectifier.
 */
export async function settleReturnedDonors(deps: GeneratorDeps, { count, signal }: { count: number; signal: AbortSignal }): Promise<void> {
  const now = new Date();
  const returned = Array.from({ length: count }, (_, i) => {
    const journey = donorJourney(i + 1, deps.random);
    return pendingMessage(journey, SPECIAL_ID_BASE + 500_000 + i, now);
  });
  const viaEndpoint = deps.pendingBaseUrl === null ? [] : returned.filter((_, i) => i % 2 === 0);
  const viaQueue = returned.filter((message) => !viaEndpoint.includes(message));
  await deps.backend.pushBatch(deps.queues.pending, returned, { sourceType: 'payments' });
  deps.tally.push(deps.queues.pending, returned.length);
  const orderOf = (message: Record<string, unknown>) => ({ gateway: String(message.gateway), orderId: String(message.order_id) });
  if (viaQueue.length > 0) {
    await deps.backend.pushBatch(deps.queues.pending, viaQueue.map((message) => ({ gateway: message.gateway, order_id: message.order_id, pending_action: 'complete' })), { sourceType: 'payments' });
    deps.tally.push(deps.queues.pending, viaQueue.length);
    for (const message of viaQueue) deps.tally.completions.push({ ...orderOf(message), via: 'queue' });
  }
  for (const message of viaEndpoint) {
    const order = orderOf(message);
    const until = Date.now() + COMPLETION_WAIT_MS;
    while (!signal.aborted && Date.now() < until && (await pendingRequest(deps, 'GET', orderPath(order.gateway, order.orderId))) !== 200) await sleep(500, signal);
    if (signal.aborted) return;
    await pendingRequest(deps, 'POST', COMPLETE_PATH, JSON.stringify({ gateway: order.gateway, order_id: order.orderId }));
    deps.tally.completions.push({ ...order, via: 'endpoint' });
  }
  await deps.backend.pushBatch(deps.queues.pending, returned, { sourceType: 'payments' });
  deps.tally.push(deps.queues.pending, returned.length);
  for (const message of returned) deps.tally.duplicates.push(orderOf(message));
}

/**
 * A pending consumer killed between its INSERT and its ack: it leases up to `max` pending
 * messages, stores them with the pending consumer's own batch step, and gives the leases back
 * unacknowledged. The queue delivers them again to consume-pending, whose import must not add a
 * second row for any of them (the key comes from the message, not the delivery). Returns how
 * many pending messages were redelivered this way.
 */
export async function crashAfterStoring(deps: GeneratorDeps, { max }: { max: number }): Promise<number> {
  const deliveries = await deps.backend.lease(deps.queues.pending, { max });
  let redelivered = 0;
  try {
    const messages = [];
    for (const delivery of deliveries) {
      let body: unknown;
      try {
        body = JSON.parse(delivery.body);
      } catch {
        continue; // not JSON: the real consumer stores it in damaged when it comes again
      }
      if (!isJsonObject(body) || isCompletionMessage(body)) continue;
      messages.push({ body, delivery });
      if (typeof body.gateway === 'string' && body.order_id !== undefined) {
        deps.tally.duplicates.push({ gateway: body.gateway, orderId: String(body.order_id) });
        redelivered += 1;
      }
    }
    if (messages.length > 0) await pendingBatchHandler({ db: deps.db }, { resolveMode: deps.resolveMode })(messages);
  } finally {
    for (const delivery of deliveries) await deps.backend.release(deps.queues.pending, delivery.receipt);
  }
  return redelivered;
}

/** One signed request to the pending endpoint; returns its HTTP status. */
async function pendingRequest(deps: GeneratorDeps, method: 'GET' | 'POST', path: string, body = ''): Promise<number> {
  const response = await fetch(`${deps.pendingBaseUrl!}${path}`, {
    method,
    headers: { 'content-type': 'application/json', [PENDING_SIGNATURE_HEADER]: signRequest(deps.pendingSecret, { method, path, body }) },
    ...(method === 'POST' ? { body } : {}),
    signal: AbortSignal.timeout(30_000),
  });
  await response.arrayBuffer();
  deps.tally.pendingHttpAnswer(response.status);
  return response.status;
}

async function inParallel<T>(items: T[], concurrency: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, items.length) }, async () => {
      while (next < items.length) await work(items[next++]!);
    }),
  );
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}
