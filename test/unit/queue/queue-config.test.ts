import { queueConfig } from '../../../lib/queue/config';
import { ConfigError } from '../../../lib/errors';

describe('queueConfig', () => {
  it('should default to SQS\'s default maximum message size and to no queue waiting for replicas', () => {
    const config = queueConfig({});

    expect(config.QUEUE_MAX_MESSAGE_BYTES).toBe(262_144);
    expect(config.QUEUE_REDIS_WAIT_REPLICAS).toEqual({});
    expect(config.QUEUE_REDIS_WAIT_TIMEOUT_MS).toBe(500);
  });

  it('should read the queues that wait for replicas as queue:replicas pairs', () => {
    const config = queueConfig({ QUEUE_REDIS_WAIT_REPLICAS: 'donations:1, pending:2' });

    expect(config.QUEUE_REDIS_WAIT_REPLICAS).toEqual({ donations: 1, pending: 2 });
  });

  it.each(['donations', 'donations:0', 'donations:x', 'bad{name}:1'])('should refuse %j with the variable named', (value) => {
    expect(() => queueConfig({ QUEUE_REDIS_WAIT_REPLICAS: value })).toThrow(ConfigError);
    expect(() => queueConfig({ QUEUE_REDIS_WAIT_REPLICAS: value })).toThrow(/QUEUE_REDIS_WAIT_REPLICAS: must be queue:replicas pairs/);
  });
});
