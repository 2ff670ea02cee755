/**
 * Scheduled (every minute): consumes the banner and landing page impression topics with a
 * Kafka consumer group for IMPRESSIONS_TIME_LIMIT_SECONDS seconds and adds them to the per-minute
 * impressions tables, effectively once: the counts of each batch and the offsets they cover
 * commit in one database transaction, so crashes, rebalances and redelivery never count an
 * event twice or drop one. Fails (non-zero) when the database or Kafka is unreachable; the
 * next run resumes from the stored offsets. The Lambda timeout must exceed the time limit
 * by the time a group join and a last batch take (about 30 s).
 */
import { createHandlerRuntime } from '../lib/handler-runtime';
import { withImpressionsConsumer } from '../lib/impressions/runtime-extension';
import { consumeImpressions, consumeOptionsFromConfig, type ConsumeSummary } from '../lib/impressions/kafka-consumer-loop';

const runtime = createHandlerRuntime('load-impressions', withImpressionsConsumer);

export const handler = (): Promise<ConsumeSummary> =>
  runtime.run(({ kafka, loader, config }) => consumeImpressions({ kafka, loader, ...consumeOptionsFromConfig(config) }));
