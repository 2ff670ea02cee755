/**
 * Triggered by a Lambda self-managed Kafka event source mapping on the impression topics
 * (records base64 under `topic-partition` keys). Applies each partition's records through
 * the same effectively-once commit as the scheduled loader, keyed by
 * IMPRESSIONS_CONSUMER_GROUP: a batch Lambda delivers again after a failure is not counted
 * twice. Throws when the database is unreachable, so that Lambda retries the batch.
 * Deploy this trigger or the scheduled one for a given group, not both.
 */
import { coreConfig } from '../lib/config';
import { openDatabase } from '../lib/db/client';
import { ImpressionsLoader } from '../lib/impressions/batch-commit';
import { configuredTopics, impressionsConfig } from '../lib/impressions/config';
import { loadKafkaEvent, type KafkaEventSummary, type SelfManagedKafkaEvent } from '../lib/impressions/lambda-event';

const config = impressionsConfig();
const database = openDatabase(coreConfig().DATABASE_URL);
const loader = new ImpressionsLoader({ db: database.db, pool: database.pool, invalidLogSample: config.IMPRESSIONS_INVALID_LOG_SAMPLE });
const target = { consumerGroup: config.IMPRESSIONS_CONSUMER_GROUP, topics: configuredTopics(config) };

export async function handler(event: SelfManagedKafkaEvent): Promise<KafkaEventSummary> {
  return loadKafkaEvent(loader, event, target);
}
