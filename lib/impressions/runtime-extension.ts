/**
 * The impressions handlers' additions to the handler runtime (lib/handler-runtime.ts): the
 * loader on the runtime's database pool and, for the scheduled consumer, the kafkajs client.
 * Both are rebuilt with the runtime, so that they never hold a closed pool.
 */
import type { BaseRuntime } from '../handler-runtime';
import { ImpressionsLoader } from './batch-commit';
import { impressionsConfig, type ImpressionsConfig } from './config';
import { createKafkaClient } from './kafka-client';

/** The loader a Kafka-event invocation applies its batches through. */
export function withImpressionsLoader(base: BaseRuntime): { config: ImpressionsConfig; loader: ImpressionsLoader } {
  const config = impressionsConfig();
  const { db, pool } = base.database;
  return { config, loader: new ImpressionsLoader({ db, pool, invalidLogSample: config.IMPRESSIONS_INVALID_LOG_SAMPLE }) };
}

/** The loader plus the Kafka client the scheduled consumer joins its group with (it connects per run). */
export function withImpressionsConsumer(base: BaseRuntime) {
  const loaded = withImpressionsLoader(base);
  const { KAFKA_BROKERS, KAFKA_CLIENT_ID } = loaded.config;
  return { ...loaded, kafka: createKafkaClient({ brokers: KAFKA_BROKERS, clientId: KAFKA_CLIENT_ID }) };
}
