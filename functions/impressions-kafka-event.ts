/**
 * Triggered by a Lambda self-managed Kafka event source mapping on the impression topics
 * (records base64 under `topic-partition` keys). Applies each partition's records through
 * the same effectively-once commit as the scheduled loader, keyed by
 * IMPRESSIONS_CONSUMER_GROUP: a batch Lambda delivers again after a failure is not counted
 * twice. Throws when the database is unreachable, so that Lambda retries the batch.
 * Deploy this trigger or the scheduled one for a given group, not both.
 */
import { impressionsKafkaEventJob } from '../lib/impressions/jobs';
import { impressionsLoaderClient } from '../lib/runtime/clients/impressions';
import { createHandler } from '../lib/runtime/handler-runtime';

export const handler = createHandler('impressions-kafka-event', impressionsKafkaEventJob, { loader: impressionsLoaderClient });
