/**
 * Scheduled (every minute): consumes the banner and landing page impression topics with a
 * Kafka consumer group for IMPRESSIONS_TIME_LIMIT seconds and adds them to the per-minute
 * impressions tables, effectively once: the counts of each batch and the offsets they cover
 * commit in one database transaction, so crashes, rebalances and redelivery never count an
 * event twice or drop one. Fails (non-zero) when the database or Kafka is unreachable; the
 * next run resumes from the stored offsets. The Lambda timeout must exceed the time limit
 * by the time a group join and a last batch take (about 30 s).
 */
import { coreConfig } from '../lib/config';
import { openDatabase } from '../lib/db/client';
import { ImpressionsLoader } from '../lib/impressions/batch-commit';
import { impressionsConfig } from '../lib/impressions/config';
import { createKafkaClient } from '../lib/impressions/kafka-client';
import { consumeImpressions, consumeOptionsFromConfig, type ConsumeSummary } from '../lib/impressions/kafka-consumer-loop';

const config = impressionsConfig();
const database = openDatabase(coreConfig().DATABASE_URL);
const loader = new ImpressionsLoader({ db: database.db, pool: database.pool, invalidLogSample: config.IMPRESSIONS_INVALID_LOG_SAMPLE });
const kafka = createKafkaClient({ brokers: config.KAFKA_BROKERS, clientId: config.KAFKA_CLIENT_ID });

export async function handler(): Promise<ConsumeSummary> {
  return consumeImpressions({ kafka, loader, ...consumeOptionsFromConfig(config) });
}
