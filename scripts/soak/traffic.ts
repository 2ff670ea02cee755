/**
 * The soak's traffic, with a ledger of everything sent, which the invariant checks compare the
 * stores against. Every second at `rate`:
 * - `rate` donor journeys: the first tracking event (TypeScript producer), the pending message
 *   and the payments-init outcome; a completed payment's tracking update; every third donor
 *   comes back, so the frontend pushes the completion that settles the order (a failed
 *   payment's outcome deletes its order's pending rows);
 * - rate/50 (at least one) orphans old enough for the rectifier, the simulated processor
 *   answering each (./../local-run/traffic.ts orphanPayment);
 * - `rate` banner events (generated with the outcome each must have, so the expected table is
 *   an independent aggregate) and `rate` landing page events;
 * - every tenth second, the deliberately bad messages: a pending message without gateway and
 *   order id, a legacy RPUSH cut short (not JSON), a tracking message with a bad id.
 * A push that fails (Redis restarting) is tried again until it succeeds, as the frontend does;
 * one whose outcome was unknown may be stored twice, so those retries are counted.
 */
import type { Redis } from 'ioredis';
import type { Producer } from 'kafkajs';
import { CompressionTypes } from 'kafkajs';
import { pendingRowsObsolete } from '../../lib/pending/payments-initial-store';
import { queueProducer } from '../../lib/queue/partitions';
import type { QueueBackend } from '../../lib/queue/types';
import type { TrackingProducer } from '../../lib/tracking/producer';
import { messageHash } from '../../lib/content-hash';
import type { ProcessorSimulator } from '../processor-simulator';
import {
  donorJourney,
  landingPageImpressionEvent,
  malformedPendingMessage,
  orphanPayment,
  paymentsInitMessage,
  pendingMessage,
  trackingContributionEvent,
  trackingFirstEvent,
  trackingTs,
  truncatedLegacyBody,
  type Random,
} from '../local-run/traffic';
import { expectedCells, generateBannerEvents } from '../traffic/impression-events';
import { messageKey } from './delivery-log';
import type { DamagedMessage, OrderExpectation } from './invariants';

export interface SoakQueues {
  pending: string;
  paymentsInit: string;
  tracking: string;
  donations: string;
  /** Delayed rectify triggers, pushed by consume-pending. */
  rectify: string;
}

export interface SoakTopics {
  banner: string;
  bannerFactor: number;
  landingPage: string;
  partitions: number;
}

export interface TrafficDeps {
  backend: QueueBackend;
  /** For the legacy RPUSH. */
  redis: Redis;
  trackingProducer: TrackingProducer;
  kafka: Producer;
  simulator: ProcessorSimulator;
  queues: SoakQueues;
  topics: SoakTopics;
  random: Random;
  seed: number;
  /** Orphans are dated this long ago (past the rectifier's minimum age). */
  orphanAgeMinutes: number;
}

/** What was sent: the expectations of the invariant checks. */
export class TrafficLedger {
  /** Message keys pushed per queue (./delivery-log.ts messageKey). */
  readonly pushed = new Map<string, string[]>();
  readonly orders: OrderExpectation[] = [];
  readonly bad: DamagedMessage[] = [];
  /** Expected bannerimpressions cells (cell key → count). */
  readonly bannerCells = new Map<string, number>();
  /** Expected landingpageimpression_raw rows per `utm_source|country`. */
  readonly landingRows = new Map<string, number>();
  produced = 0;
  /** Pushes tried again after an error: each may have been stored twice. */
  retriedPushes = 0;

  push(queue: string, key: string): void {
    const keys = this.pushed.get(queue) ?? [];
    this.pushed.set(queue, keys);
    keys.push(key);
  }

  pushedCount(): number {
    let n = 0;
    for (const keys of this.pushed.values()) n += keys.length;
    return n;
  }
}

/** Contribution tracking ids of orphans: far above the sequence's ids. */
const ORPHAN_ID_BASE = 900_000_000;
const CONTRIBUTION_ID_BASE = 5_000_000;
const RETRY_MS = 250;
const PRODUCER_CONCURRENCY = 16;

/** The key of an order in the pending tables and in donations messages. */
export function orderKey(gateway: unknown, orderId: unknown): string {
  return `${String(gateway)}|${String(orderId)}`;
}

/** Sends traffic until `endAt` (epoch ms) or `signal`; one second's worth per turn. */
export async function sendTraffic(deps: TrafficDeps, ledger: TrafficLedger, { rate, endAt, signal }: { rate: number; endAt: number; signal: AbortSignal }): Promise<void> {
  const started = Date.now();
  let journeys = 0;
  let orphans = 0;
  let landing = 0;
  for (let second = 0; Date.now() < endAt && !signal.aborted; second++) {
    const now = new Date();
    await Promise.all([
      sendJourneys(deps, ledger, Array.from({ length: rate }, () => donorJourney(++journeys, deps.random)), now),
      sendOrphans(deps, ledger, Math.max(1, Math.floor(rate / 50)), () => ++orphans, now),
      sendImpressions(deps, ledger, rate, second, now, () => ++landing),
      second % 10 === 0 ? sendBad(deps, ledger, second, now) : Promise.resolve(),
    ]);
    const wait = started + (second + 1) * 1000 - Date.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, Math.min(wait, Math.max(0, endAt - Date.now()))));
  }
}

async function sendJourneys(deps: TrafficDeps, ledger: TrafficLedger, journeys: ReturnType<typeof donorJourney>[], now: Date): Promise<void> {
  const { queues } = deps;
  const trackingIds = await inParallel(journeys, async (journey) => {
    const event = trackingFirstEvent(journey, now);
    const id = await retried(ledger, () => deps.trackingProducer.trackContribution(event));
    ledger.push(queues.tracking, messageHash({ ...event, id: String(id) }));
    return id;
  });
  const pending = journeys.map((journey, i) => pendingMessage(journey, trackingIds[i]!, now));
  const completions = pending.filter((_, i) => journeys[i]!.n % 3 === 0).map((message) => ({ gateway: message.gateway, order_id: message.order_id, pending_action: 'complete' }));
  await retried(ledger, () => deps.backend.pushBatch(queues.pending, [...pending, ...completions], { sourceType: 'payments' }));
  for (const message of [...pending, ...completions]) ledger.push(queues.pending, messageHash(message));
  const init = journeys.map((journey, i) => paymentsInitMessage(journey, trackingIds[i]!, now));
  for (const [i, message] of pending.entries()) {
    const order = orderKey(message.gateway, message.order_id);
    const journey = journeys[i]!;
    if (journey.n % 3 === 0) ledger.orders.push({ order, expect: 'settled' });
    else if (pendingRowsObsolete({ gateway: String(message.gateway), payments_final_status: String(init[i]!.payments_final_status), validation_action: String(init[i]!.validation_action) })) ledger.orders.push({ order, expect: 'failed' });
    else if (journey.outcome === 'failed') ledger.orders.push({ order, expect: 'pending', reason: 'failed where the donor may try the order again, left for the rectifier' });
    else ledger.orders.push({ order, expect: 'pending', reason: 'donor not back, younger than the rectifier age' });
  }
  await retried(ledger, () => deps.backend.pushBatch(queues.paymentsInit, init, { sourceType: 'payments' }));
  for (const message of init) ledger.push(queues.paymentsInit, messageHash(message));
  await inParallel(
    trackingIds.filter((_, i) => journeys[i]!.outcome === 'complete'),
    async (id) => {
      const event = trackingContributionEvent(id, id + CONTRIBUTION_ID_BASE, now);
      await retried(ledger, () => deps.trackingProducer.trackContribution(event));
      ledger.push(queues.tracking, messageHash(event));
    },
  );
}

/** `work` on every item, PRODUCER_CONCURRENCY at a time, as many frontend servers push at once; results in item order. */
async function inParallel<T, R>(items: readonly T[], work: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array<R>(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(PRODUCER_CONCURRENCY, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        results[i] = await work(items[i]!);
      }
    }),
  );
  return results;
}

async function sendOrphans(deps: TrafficDeps, ledger: TrafficLedger, count: number, next: () => number, now: Date): Promise<void> {
  const messages: Array<Record<string, unknown>> = [];
  for (let i = 0; i < count; i++) {
    const n = next();
    const orphan = orphanPayment(n, ORPHAN_ID_BASE + n, now, deps.orphanAgeMinutes, deps.random);
    if (orphan.order) deps.simulator.setOrder(orphan.order.orderId, orphan.order.answer);
    if (orphan.checkout) deps.simulator.setCheckout(orphan.checkout.token, orphan.checkout.answer);
    messages.push(orphan.message);
    ledger.orders.push({ order: orderKey(orphan.message.gateway, orphan.message.order_id), expect: 'rectified', donations: orphan.becomesDonation ? 1 : 0 });
  }
  await retried(ledger, () => deps.backend.pushBatch(deps.queues.pending, messages, { sourceType: 'payments' }));
  for (const message of messages) ledger.push(deps.queues.pending, messageHash(message));
}

async function sendImpressions(deps: TrafficDeps, ledger: TrafficLedger, rate: number, second: number, now: Date, next: () => number): Promise<void> {
  const { topics } = deps;
  const minute = Math.floor(now.getTime() / 60_000) * 60_000;
  const banner = generateBannerEvents({ count: rate, partitions: topics.partitions, seed: deps.seed * 1_000_003 + second, start: minute, minutes: 1 });
  const landing = Array.from({ length: rate }, () => landingPageImpressionEvent(next(), now, deps.random) as { event: { utm_source: string; country: string } });
  await retried(ledger, () =>
    deps.kafka.sendBatch({
      compression: CompressionTypes.GZIP,
      acks: -1,
      topicMessages: [
        { topic: topics.banner, messages: banner.map((event) => ({ partition: event.partition, value: JSON.stringify(event.body) })) },
        { topic: topics.landingPage, messages: landing.map((event, i) => ({ partition: i % topics.partitions, value: JSON.stringify(event) })) },
      ],
    }),
  );
  for (const [key, count] of expectedCells(banner, topics.bannerFactor)) ledger.bannerCells.set(key, (ledger.bannerCells.get(key) ?? 0) + count);
  for (const event of landing) {
    const key = landingKey(event.event.utm_source, event.event.country);
    ledger.landingRows.set(key, (ledger.landingRows.get(key) ?? 0) + 1);
  }
  ledger.produced += banner.length + landing.length;
}

/** The key the landing page check counts rows by. */
export function landingKey(utmSource: string, country: string): string {
  return `${utmSource}|${country}`;
}

async function sendBad(deps: TrafficDeps, ledger: TrafficLedger, second: number, now: Date): Promise<void> {
  const { queues } = deps;
  const n = ORPHAN_ID_BASE / 2 + second;
  const malformed = malformedPendingMessage(donorJourney(n, deps.random), n, now);
  await retried(ledger, () => deps.backend.push(queues.pending, malformed, { sourceType: 'payments' }));
  const truncated = truncatedLegacyBody(n);
  await retried(ledger, () => deps.redis.rpush(queues.pending, truncated));
  const badTracking = { id: 'not-a-number', ts: trackingTs(now), utm_source: `buggy-producer-${second}` };
  await retried(ledger, () => queueProducer(deps.backend, queues.tracking).push(badTracking));
  for (const [queue, raw] of [
    [queues.pending, JSON.stringify(malformed)],
    [queues.pending, truncated],
    [queues.tracking, JSON.stringify(badTracking)],
  ] as const) {
    const key = messageKey(raw);
    ledger.bad.push({ key, queue, raw });
    ledger.push(queue, key);
  }
}

/** Runs `send` until it succeeds; every retry is counted (its first try may have been stored). */
async function retried<T>(ledger: TrafficLedger, send: () => Promise<T>): Promise<T> {
  for (;;) {
    try {
      return await send();
    } catch {
      ledger.retriedPushes += 1;
      await new Promise((resolve) => setTimeout(resolve, RETRY_MS));
    }
  }
}

