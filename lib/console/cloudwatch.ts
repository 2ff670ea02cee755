/**
 * The console's figures as CloudWatch metrics, in the embedded metric format (Powertools): one
 * document per queue with dimension `Queue` (and the default `Stage`), written to the function's
 * log, which CloudWatch turns into metrics without an API call. Alarms on them are
 * serverless/console-alarms.js. Redis queues have no CloudWatch metrics of their own: this is
 * how their depth, dead letters and oldest age reach an alarm.
 */
import { MetricUnit, type Metrics } from '@aws-lambda-powertools/metrics';
import type { QueueOverview } from './queues';

/** The metric names, as the alarms name them. */
export const CLOUDWATCH_METRICS = {
  ready: 'ReadyMessages',
  inFlight: 'InFlightMessages',
  delayed: 'DelayedMessages',
  dead: 'DeadLetters',
  oldestAge: 'OldestMessageAgeSeconds',
  damaged: 'DamagedRows',
} as const;

/** What one publication covered. */
export interface PublishedFigures {
  queues: string[];
  /** Queues whose figures could not be read: nothing is published for them (their alarms see missing data). */
  unreadable: string[];
}

/** Publishes one metric document per readable queue. */
export function publishFigures(metrics: Pick<Metrics, 'addDimension' | 'addMetric' | 'publishStoredMetrics'>, queues: QueueOverview[], damagedByQueue: Record<string, number>): PublishedFigures {
  const published: PublishedFigures = { queues: [], unreadable: [] };
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
