/**
 * Scheduled (every minute): consumes the banner and landing page impression topics with a
 * Kafka consumer group for IMPRESSIONS_TIME_LIMIT_SECONDS seconds and adds them to the per-minute
 * impressions tables, effectively once: the counts of each batch and the offsets they cover
 * commit in one database transaction, so crashes, rebalances and redelivery never count an
 * event twice or drop one. Fails (non-zero) when the database or Kafka is unreachable; the
 * next run resumes from the stored offsets. The Lambda timeout must exceed the time limit
 * by the time a group join and a last batch take (about 30 s).
 */
import { loadImpressionsJob } from '../lib/impressions/jobs';
import { impressionsLoaderClient, kafkaClient } from '../lib/runtime/clients/impressions';
import { createHandler } from '../lib/runtime/handler-runtime';

export const handler = createHandler('load-impressions', loadImpressionsJob, { kafka: kafkaClient, loader: impressionsLoaderClient });
