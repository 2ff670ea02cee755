/**
 * The traffic generator: every second, `rate` donor journeys (a signed POST to the tracking
 * endpoint, the pending message, the payments-init outcome and, for a completed payment, the
 * tracking update from the TypeScript producer), `rate` banner and `rate` landing page
 * impression events to Kafka. Once at the start: orphaned payments old enough for the
 * rectifier (with the simulated processor's answers), rows old enough to expire, and the
 * deliberately bad traffic of `seedSpecialTraffic`.
 */
import type { Redis } from 'ioredis';
import type { Producer } from 'kafkajs';
import type { DamagedStore } from '../../lib/consumer/damaged-store';
import type { QueueBackend } from '../../lib/queue/types';
import { SIGNATURE_HEADER, signTrackingRequest } from '../../lib/tracking/signature';
import type { TrackingProducer } from '../../lib/tracking/producer';
import type { ProcessorSimulator } from '../processor-simulator';
import type { RunTally } from './summary';
import {
  bannerImpressionEvent,
  donorJourney,
  landingPageImpressionEvent,
  malformedPendingMessage,
  orphanPayment,
  paymentsInitMessage,
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
  simulator: ProcessorSimulator;
  damagedStore: DamagedStore;
  /** The tracking endpoint (`POST .../contribution-tracking`), or null to use the TypeScript producer. */
  trackingUrl: string | null;
  trackingSecret: string;
  tally: RunTally;
  random: Random;
  queues: { pending: string; paymentsInit: string; tracking: string; donations: string };
  topics: { banner: string; landingPage: string };
  /** Orphans are dated this many minutes ago (past the rectifier's minimum age). */
  orphanAgeMinutes: number;
  /** Stale rows are dated this many days ago (past expire-pending's age). */
  staleAgeDays: number;
}

/** Contribution tracking ids of orphans and stale rows: far above the sequence's ids. */
const SPECIAL_ID_BASE = 900_000_000;
/** Contribution ids given to completed journeys: tracking id + this. */
const CONTRIBUTION_ID_BASE = 5_000_000;

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
  await deps.backend.push(deps.queues.pending, pendingMessage(journey, trackingId, now), { sourceType: 'payments' });
  deps.tally.push(deps.queues.pending);
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
 * - orphans for rectify-orphans (the simulator answers for each), most becoming donations;
 * - pending rows older than the expiry age for expire-pending;
 * - a pending message without gateway and order id, and a legacy RPUSH cut short (both end in
 *   damaged without a retry date), a tracking message with a bad id pushed by a buggy producer;
 * - a tracking POST with a wrong signature (401) and one with a bad body (400);
 * - a damaged row whose retry date has come, as a consumer's RetryableError leaves it (no
 *   consumer of this project throws one today), for requeue-damaged to push back;
 * - a donor who came back: a pending message and the completion that settles its order;
 * - a donation the CRM stand-in cannot import (it crashes on it until it is dead-lettered);
 * - an impression event the loader rejects as invalid.
 */
export async function seedSpecialTraffic(deps: GeneratorDeps, { orphans, stale }: { orphans: number; stale: number }): Promise<void> {
  const now = new Date();
  let n = 0;
  const orphanMessages = [];
  for (let i = 0; i < orphans; i++) {
    const orphan = orphanPayment(i, SPECIAL_ID_BASE + ++n, now, deps.orphanAgeMinutes, deps.random);
    if (orphan.order) deps.simulator.setOrder(orphan.order.orderId, orphan.order.answer);
    if (orphan.checkout) deps.simulator.setCheckout(orphan.checkout.token, orphan.checkout.answer);
    orphanMessages.push(orphan.message);
  }
  const staleMessages = Array.from({ length: stale }, (_, i) => stalePendingMessage(i, SPECIAL_ID_BASE + ++n, now, deps.staleAgeDays, deps.random));
  const badJourney = donorJourney(0, deps.random);
  const pendingBatch = [...orphanMessages, ...staleMessages, malformedPendingMessage(badJourney, SPECIAL_ID_BASE + ++n, now)];
  await deps.backend.pushBatch(deps.queues.pending, pendingBatch, { sourceType: 'payments' });
  await deps.redis.rpush(deps.queues.pending, truncatedLegacyBody(SPECIAL_ID_BASE + ++n));
  deps.tally.push(deps.queues.pending, pendingBatch.length + 1);

  await deps.backend.push(deps.queues.tracking, { id: 'not-a-number', ts: '20261128010203', utm_source: 'buggy-producer' });
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

  // A donor who came back: the frontend settles the order after its pending message (lib/pending/complete-order.ts).
  const returned = pendingMessage(donorJourney(++n, deps.random), SPECIAL_ID_BASE + n, now);
  await deps.backend.pushBatch(deps.queues.pending, [returned, { gateway: returned.gateway, order_id: returned.order_id, pending_action: 'complete' }], { sourceType: 'payments' });
  deps.tally.push(deps.queues.pending, 2);

  const retried = pendingMessage(donorJourney(++n, deps.random), SPECIAL_ID_BASE + n, now);
  await deps.damagedStore.insert({ queue: deps.queues.pending, body: JSON.stringify(retried), error: 'payment not yet confirmed (simulated retryable failure)', retryDate: now, originalDate: now }, now);

  await deps.backend.push(deps.queues.donations, { ...pendingMessage(donorJourney(++n, deps.random), SPECIAL_ID_BASE + n, now), gross: 'twenty' }, { sourceType: 'payments' });
  deps.tally.push(deps.queues.donations);

  const invalid = bannerImpressionEvent(0, now, deps.random) as { event: Record<string, unknown> };
  invalid.event.country = 'Utopia';
  await produce(deps, deps.topics.banner, [invalid]);
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
