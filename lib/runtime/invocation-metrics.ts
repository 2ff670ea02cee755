/**
 * Every function's per-invocation figures as CloudWatch metrics in the embedded metric format
 * (Powertools), written to the function's log, where CloudWatch turns them into metrics without
 * an API call (docs/architecture.md §10): invocations, errors and duration of each function, and
 * what its run reports of the messages it handled. Queue depth, oldest age, damaged rows and
 * impressions lag are the console-metrics function's (lib/console/cloudwatch.ts), one source per
 * figure. Written only where METRICS_NAMESPACE is set: deployed stages, not local runs, whose
 * output people read. The same figures go to Redis on every stage (RecordInvocation), for the
 * console's Prometheus endpoint, which cannot read CloudWatch's.
 */
import { MetricUnit, Metrics } from '@aws-lambda-powertools/metrics';
import type { Invocation, InvocationCounts } from '../job';

/** The metric names, as alarms and dashboards name them (dimensions `Stage`, `Function`). */
export const INVOCATION_METRICS = {
  invocations: 'Invocations',
  errors: 'Errors',
  duration: 'Duration',
  processed: 'Processed',
  failed: 'Failed',
  damaged: 'Damaged',
  retryScheduled: 'RetryScheduled',
  dropped: 'Dropped',
  deadLettered: 'DeadLettered',
} as const;

const COUNTED = ['processed', 'damaged', 'retryScheduled', 'dropped'] as const;

/**
 * What a run's result says of its messages, read from the two shapes the consumers return: a
 * consumer run's counts (lib/consumer/run-batch-consumer.ts, ConsumerCounts) and an SQS event's
 * partial batch response, whose failed records are the `Failed` ones and the rest processed.
 * A job with figures of another shape declares them itself (`Job.figures`).
 */
export function countsOfResult(event: unknown, result: unknown): InvocationCounts {
  const counts: InvocationCounts = {};
  if (typeof result !== 'object' || result === null) return counts;
  const record = result as Record<string, unknown>;
  for (const key of COUNTED) if (typeof record[key] === 'number') counts[key] = record[key] as number;
  const failures = record.batchItemFailures;
  const records = typeof event === 'object' && event !== null ? (event as { Records?: unknown }).Records : undefined;
  if (Array.isArray(failures)) {
    counts.failed = failures.length;
    if (Array.isArray(records)) counts.processed = Math.max(0, records.length - failures.length);
  }
  return counts;
}

export type { Invocation } from '../job';

/**
 * Records one invocation of the runtime's function where the console reads it
 * (lib/console/invocation-figures.ts); resolves once written or given up, never rejects.
 */
export type RecordInvocation = (invocation: Invocation) => Promise<void>;

/** Writes one invocation's figures as one embedded-metric document of `component`. */
export type PublishInvocation = (invocation: Invocation) => void;

/** The publisher of `component`'s invocations under `namespace` on `stage`. */
export function invocationPublisher(namespace: string, stage: string, component: string): PublishInvocation {
  const metrics = new Metrics({ namespace, serviceName: 'donation-buffer', defaultDimensions: { Stage: stage, Function: component } });
  return ({ durationMs, failed, counts }) => {
    metrics.addMetric(INVOCATION_METRICS.invocations, MetricUnit.Count, 1);
    metrics.addMetric(INVOCATION_METRICS.errors, MetricUnit.Count, failed ? 1 : 0);
    metrics.addMetric(INVOCATION_METRICS.duration, MetricUnit.Milliseconds, Math.round(durationMs));
    for (const [key, value] of Object.entries(counts) as Array<[keyof InvocationCounts, number]>) {
      metrics.addMetric(INVOCATION_METRICS[key], MetricUnit.Count, value);
    }
    metrics.publishStoredMetrics();
  };
}
