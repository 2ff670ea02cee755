import { consumerConfig } from '../../../lib/consumer/config';
import { pendingConfig } from '../../../lib/pending/config';
import { definedQueue, definedQueueNames, queueDefinitions } from '../../../lib/queue/definitions';
import { trackingConfig } from '../../../lib/tracking/config';

describe('queue definitions as the source of queue names (queues/definitions.json)', () => {
  it('should give the code its default queue names from the definitions', () => {
    const pending = pendingConfig({});
    const tracking = trackingConfig({});

    const defaults = [pending.PENDING_QUEUE, pending.PAYMENTS_INIT_QUEUE, pending.DONATIONS_QUEUE, pending.RECTIFY_QUEUE, tracking.TRACKING_QUEUE];

    expect(defaults.sort()).toEqual(definedQueueNames().sort());
  });

  it('should collect the dead letters of every defined queue by default, in the file order', () => {
    const config = consumerConfig({});

    expect(config.DEAD_LETTER_QUEUES).toEqual(queueDefinitions.map((q) => q.name));
  });

  it('should refuse a default naming a queue the definitions do not list', () => {
    expect(definedQueue('pending')).toBe('pending');
    expect(() => definedQueue('pendings')).toThrow(/pendings is not defined in queues\/definitions.json/);
  });
});
