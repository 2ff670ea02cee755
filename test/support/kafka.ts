/**
 * Kafka for integration tests: the kcat mock cluster (see scripts/stack/kafka.ts), one per
 * test file. Call `stop()` in afterAll; should the test process die instead, the mock's
 * watchdog stops it too.
 */
import { CompressionTypes, Kafka, logLevel } from 'kafkajs';
import { startKafkaMock, type KafkaMock } from '../../scripts/stack/kafka';

export type { KafkaMock };
export { startKafkaMock };

/** A quiet kafkajs client for test producers and admin calls. */
export function testKafkaClient(brokers: string[]): Kafka {
  return new Kafka({ brokers, clientId: 'test', logLevel: logLevel.NOTHING });
}

/**
 * Produces the values to explicit partitions, gzip-compressed in large batches. The mock
 * keeps only 5 MB per partition, so compression is what lets large tests keep every event.
 */
export async function produce(kafka: Kafka, topic: string, records: Array<{ partition: number; value: string }>, chunk = 10_000): Promise<void> {
  const producer = kafka.producer({ allowAutoTopicCreation: true });
  await producer.connect();
  try {
    for (let start = 0; start < records.length; start += chunk) {
      await producer.send({ topic, compression: CompressionTypes.GZIP, acks: -1, messages: records.slice(start, start + chunk) });
    }
  } finally {
    await producer.disconnect();
  }
}

/** Low and high watermarks per partition. */
export async function watermarks(kafka: Kafka, topic: string): Promise<Array<{ partition: number; low: number; high: number }>> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const offsets = await admin.fetchTopicOffsets(topic);
    return offsets.map((o) => ({ partition: o.partition, low: Number(o.low), high: Number(o.high) })).sort((a, b) => a.partition - b.partition);
  } finally {
    await admin.disconnect();
  }
}
