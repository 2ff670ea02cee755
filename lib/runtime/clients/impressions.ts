/**
 * The impressions loader on the runtime's pool, and the kafkajs client the scheduled loader joins
 * its group with (it connects per run). The loader keeps its dimension cache between invocations.
 */
import type { Kafka } from 'kafkajs';
import { ImpressionsLoader } from '../../impressions/batch-commit';
import { impressionsConfig } from '../../impressions/config';
import { createKafkaClient } from '../../impressions/kafka-client';
import { kafkaEndOffsets, type EndOffsetReader } from '../../impressions/lag';
import type { ClientSpec } from '../client';
import { impressionsDatabaseClient } from './database';

export const impressionsLoaderClient: ClientSpec<ImpressionsLoader> = {
  name: 'impressions loader',
  open: ({ use }) => {
    const { db, pool } = use(impressionsDatabaseClient);
    return new ImpressionsLoader({ db, pool, invalidLogSample: impressionsConfig().IMPRESSIONS_INVALID_LOG_SAMPLE });
  },
};

export const kafkaClient: ClientSpec<Kafka> = {
  name: 'kafka',
  open: ({ logger }) => {
    const { KAFKA_BROKERS, KAFKA_CLIENT_ID } = impressionsConfig();
    return createKafkaClient({ brokers: KAFKA_BROKERS, clientId: KAFKA_CLIENT_ID, logger });
  },
};

/** Kafka's end offsets through the runtime's kafkajs client (an admin connection per call): the console's impressions lag. */
export const kafkaEndOffsetsClient: ClientSpec<EndOffsetReader> = {
  name: 'kafka end offsets',
  open: ({ use }) => kafkaEndOffsets(use(kafkaClient)),
};
