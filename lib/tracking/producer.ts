/**
 * The frontend's side of the buffer: `trackContribution` validates a tracking message, gives it
 * an id from the sequence when it has none and a `ts` when it has no time (neither `ts` nor
 * `tracking_date`; one with a tracking_date is queued with it as its ts), and pushes it to the
 * contribution tracking queue through its routing (partitioned by that id). It resolves with the
 * id only once the queue holds the message.
 */
import type { Redis } from 'ioredis';
// The routing alone, not the partitions index: the endpoint's bundle carries no consumer code.
import { queueProducer } from '../queue/partitions/routing';
import type { QueueBackend } from '../queue/types';
import { allocateTrackingId } from './id-sequence';
import { formatTs, normaliseTrackingMessage } from './message';

export interface TrackingProducerOptions {
  backend: QueueBackend;
  /** Where the id sequence lives. */
  redis: Redis;
  queue: string;
  sequenceKey: string;
  now?: () => Date;
}

export interface TrackingProducer {
  /**
   * Queues one tracking message and resolves with its contribution tracking id. Rejects with a
   * MalformedTrackingMessageError for bad fields (nothing queued, no id used up) and with an
   * InfrastructureError when Redis or the queue cannot take it.
   */
  trackContribution(fields: Record<string, unknown>): Promise<number>;
}

/** Builds the producer around long-lived clients (module scope in a handler). */
export function createTrackingProducer(options: TrackingProducerOptions): TrackingProducer {
  const now = options.now ?? (() => new Date());
  // Partitioned by the tracking id (queues/definitions.json): the id is settled before the push, so
  // that every message of one id goes to the same partition, in push order.
  const queue = queueProducer(options.backend, options.queue);
  return {
    async trackContribution(fields) {
      const hasId = fields.id !== undefined && fields.id !== null && fields.id !== '';
      const message: Record<string, unknown> = { ...fields };
      // A message that brings its own time in tracking_date keeps it: ts would win over it.
      if (isBlank(message.ts) && isBlank(message.tracking_date)) message.ts = formatTs(now());
      // Validate before allocating, so bad input does not use up an id.
      const checked = normaliseTrackingMessage(hasId ? message : { ...message, id: '1' });
      const id = hasId ? checked.id : await allocateTrackingId(options.redis, options.sequenceKey);
      await queue.push({ ...toWire(message), id: String(id), ts: checked.ts! });
      return id;
    },
  };
}

function isBlank(value: unknown): boolean {
  return value === undefined || value === null || value === '';
}

/** Numbers travel as strings on the wire (docs/architecture.md §5); absent fields are omitted. */
function toWire(message: Record<string, unknown>): Record<string, unknown> {
  const wire: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(message)) {
    if (value === undefined || value === null) continue;
    wire[key] = typeof value === 'number' || typeof value === 'boolean' ? String(value) : value;
  }
  return wire;
}
