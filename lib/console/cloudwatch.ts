/**
 * The console's figures as CloudWatch metrics, in the embedded metric format (Powertools): one
 * document per queue with dimension `Queue` (and the default `Stage`), written to the function's
 * log, which CloudWatch turns into metrics without an API call. Alarms on them are
 * serverless/console-alarms.js. Redis queues have no CloudWatch metrics of their own: this is
 * how their depth, dead letters and oldest age reach an alarm.
 */
import { MetricUnit, type Metrics } from '@aws-lambda-powertools/metrics';
import type { ImpressionsLag } from '../impressions/lag';
import type { QueueOverview } from './queues';

/** The metric names, as the alarms name them. */
export const CLOUDWATCH_METRICS = {
  ready: 'ReadyMessages',
  inFlight: 'InFlightMessages',
  delayed: 'DelayedMessages',
  dead: 'DeadLetters',
  oldestAge: 'OldestMessageAgeSeconds',
  damaged: 'DamagedRows',
  impressionsLag: 'ImpressionsLagEvents',
} as const;

/** What one publication covered. */
export interface PublishedFigures {
  queues: string[];
  /** Queues whose figures could not be read: nothing is published for them (their alarms see missing data). */
  unreadable: string[];
  /** Impressions topics whose lag was published (dimension `Topic`). */
  topics: string[];
}

/** Publishes one metric document per readable queue. */
export function publishFigures(metrics: Pick<Metrics, 'addDimension' | 'addMetric' | 'publishStoredMetrics'>, queues: QueueOverview[], damagedByQueue: Record<string, number>): PublishedFigures {
  const published: PublishedFigures = { queues: [], unreadable: [], topics: [] };
  for (const q of queues) {
    if (!q.stats) {
      published.unreadable.push(q.queue);
      continue;
    }
    metrics.addDimension('Queue', q.queue);
    metrics.addMetric(CLOUDWATCH_METRICS.ready, MetricUnit.Count, q.stats.ready);
    metrics.addMetric(CLOUDWATCH_METRICS.inFlight, MetricUnit.Count, q.stats.inFlight);
    metrics.addMetric(CLOUDWATCH_METRICS.delayed, MetricUnit.Count, q.stats.delayed);
    metrics.addMetric(CLOUDWATCH_METRICS.dead, MetricUnit.Count, q.stats.dead);
    // SQS reports no oldest age (QueueCapabilities.reportsOldestAge): absent, not zero.
    if (q.stats.oldestAgeSeconds !== null) metrics.addMetric(CLOUDWATCH_METRICS.oldestAge, MetricUnit.Seconds, q.stats.oldestAgeSeconds);
    metrics.addMetric(CLOUDWATCH_METRICS.damaged, MetricUnit.Count, damagedByQueue[q.queue] ?? 0);
    // Publishing clears the Queue dimension, so the next queue's document has only its own.
    metrics.publishStoredMetrics();
    published.queues.push(q.queue);
  }
  return published;
}

/**
 * Publishes one document per impressions topic: the loader's lag summed over its partitions. A
 * topic with a partition of unknown lag (Kafka unreachable, or a partition the loader has not
 * started) is left out, so its alarm sees missing data rather than a lag of 0.
 */
export function publishImpressionsLag(metrics: Pick<Metrics, 'addDimension' | 'addMetric' | 'publishStoredMetrics'>, lag: ImpressionsLag, published: PublishedFigures): void {
  for (const topic of [...new Set(lag.partitions.map((p) => p.topic))]) {
    const lags = lag.partitions.filter((p) => p.topic === topic).map((p) => p.lag);
    if (lags.some((n) => n === null)) continue;
    metrics.addDimension('Topic', topic);
    metrics.addMetric(CLOUDWATCH_METRICS.impressionsLag, MetricUnit.Count, lags.reduce<number>((a, b) => a + (b ?? 0), 0));
    metrics.publishStoredMetrics();
    published.topics.push(topic);
  }
}
