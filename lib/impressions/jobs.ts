/**
 * The impressions loader's jobs as its functions run them (lib/job.ts): topics, group and limits
 * from configuration, one call into the loader. The loader (with its dimension cache) and the
 * Kafka client are clients of the runtime, so they live as long as the function's module.
 */
import type { Kafka } from 'kafkajs';
import { defineJob } from '../job';
import type { ImpressionsLoader } from './batch-commit';
import { configuredTopics, impressionsConfig } from './config';
import { consumeImpressions, consumeOptionsFromConfig, type ConsumeSummary } from './kafka-consumer-loop';
import { loadKafkaEvent, type KafkaEventSummary, type SelfManagedKafkaEvent } from './lambda-event';

/** `load-impressions`: the impression topics through a consumer group for one time-limited run. */
export const loadImpressionsJob = defineJob({
  options: () => consumeOptionsFromConfig(impressionsConfig()),
  run: ({ kafka, loader }: { kafka: Kafka; loader: ImpressionsLoader }, options): Promise<ConsumeSummary> => consumeImpressions({ kafka, loader, ...options }),
});

/** `impressions-kafka-event`: one Lambda Kafka event through the same effectively-once commit. */
export const impressionsKafkaEventJob = defineJob({
  options: () => {
    const config = impressionsConfig();
    return { consumerGroup: config.IMPRESSIONS_CONSUMER_GROUP, topics: configuredTopics(config) };
  },
  run: ({ loader }: { loader: ImpressionsLoader }, options, event: SelfManagedKafkaEvent): Promise<KafkaEventSummary> => loadKafkaEvent(loader, event, options),
});
