/**
 * Triggered by a Lambda self-managed Kafka event source mapping on the impression topics
 * (records base64 under `topic-partition` keys). Applies each partition's records through
 * the same effectively-once commit as the scheduled loader, keyed by
 * IMPRESSIONS_CONSUMER_GROUP: a batch Lambda delivers again after a failure is not counted
 * twice. Throws when the database is unreachable, so that Lambda retries the batch.
 * Deploy this trigger or the scheduled one for a given group, not both.
 */
import { createHandlerRuntime } from '../lib/handler-runtime';
import { configuredTopics } from '../lib/impressions/config';
import { withImpressionsLoader } from '../lib/impressions/runtime-extension';
import { loadKafkaEvent, type KafkaEventSummary, type SelfManagedKafkaEvent } from '../lib/impressions/lambda-event';

const runtime = createHandlerRuntime('impressions-kafka-event', withImpressionsLoader);

export const handler = (event: SelfManagedKafkaEvent): Promise<KafkaEventSummary> =>
  runtime.run(({ loader, config }) =>
    loadKafkaEvent(loader, event, { consumerGroup: config.IMPRESSIONS_CONSUMER_GROUP, topics: configuredTopics(config) }),
  );
