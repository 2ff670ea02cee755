import net from 'node:net';
import { startKafkaMock, quietKafkaClient } from '../../scripts/stack/kafka';

function accepts(address: string): Promise<boolean> {
  const [host, port] = address.split(':');
  return new Promise((resolve) => {
    const socket = net.connect({ host, port: Number(port) });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

describe('startKafkaMock', () => {
  it('should serve a Kafka cluster on loopback that auto-creates topics with 4 partitions, and be gone after stop', async () => {
    const mock = await startKafkaMock();
    try {
      const admin = quietKafkaClient(mock.brokers).admin();
      await admin.connect();
      await admin.fetchTopicMetadata({ topics: ['auto-created'] }).catch(() => undefined);
      const metadata = await admin.fetchTopicMetadata({ topics: ['auto-created'] });
      await admin.disconnect();

      expect(mock.brokers).toHaveLength(3);
      expect(mock.brokers.every((broker) => broker.startsWith('127.0.0.1:'))).toBe(true);
      expect(metadata.topics[0]!.partitions).toHaveLength(4);
    } finally {
      await mock.stop();
    }

    expect(await Promise.all(mock.brokers.map(accepts))).toEqual([false, false, false]);
  });
});
