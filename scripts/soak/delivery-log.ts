/**
 * The soak's record of what the consumers processed, independent of the stores they write to
 * (which are idempotent, so they cannot show a duplicate). A worker's queue backend is wrapped:
 * once the job has settled a batch (stored, dropped or kept in damaged) and before its acks go
 * out, the keys of the settled messages are appended to the worker's log file with a
 * synchronous write, which survives a SIGKILL of the worker a moment later. A message processed
 * twice (killed after processing, before the ack) therefore appears twice.
 */
import { createHash } from 'node:crypto';
import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import { messageHash } from '../../lib/content-hash';
import { PartitionedConsumer, reportedFailures, type PartitionedConsumerOptions } from '../../lib/queue/partitions';
import type { Delivery, QueueBackend } from '../../lib/queue/types';

/** One line of a delivery log: the keys of the messages of `queue` settled in one batch. */
export interface DeliveryLogLine {
  queue: string;
  /** When the batch was settled (epoch ms). */
  at: number;
  keys: string[];
}

/**
 * The identity of a message whatever the queue added to it: the content hash of its JSON
 * without the `source_*` fields (as the stores key it), or of its raw text when it is not a JSON
 * object. The generator computes the same key of what it pushes.
 */
export function messageKey(raw: string): string {
  try {
    const parsed: unknown = JSON.parse(raw);
    if (parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)) return messageHash(parsed as Record<string, unknown>);
  } catch {
    // not JSON: keyed by its raw text below
  }
  return `raw:${createHash('sha256').update(raw).digest('hex')}`;
}

/**
 * Wraps `backend` so that every batch its consumeBatches callback settled is logged to `file`
 * before the acks are sent; everything else is the backend itself.
 */
export function recordingBackend(backend: QueueBackend, file: string): QueueBackend {
  const record = (queue: string, deliveries: Delivery[], failedIds: readonly string[]) => recordSettled(file, queue, deliveries, failedIds);
  return new Proxy(backend, {
    get(target, property, receiver) {
      if (property === 'consumeBatches') {
        const consumeBatches: QueueBackend['consumeBatches'] = (queue, next, callback) =>
          target.consumeBatches(queue, next, async (deliveries) => {
            const outcome = await callback(deliveries);
            record(queue, deliveries, outcome.failedIds);
            return outcome;
          });
        return consumeBatches;
      }
      const value: unknown = Reflect.get(target, property, receiver);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}

/** Appends the keys of the deliveries of `queue` that were settled (not among `failedIds`) to `file`. */
function recordSettled(file: string, queue: string, deliveries: Delivery[], failedIds: readonly string[]): void {
  const failed = new Set(failedIds);
  const keys = deliveries.filter((delivery) => !failed.has(delivery.id)).map((delivery) => messageKey(delivery.body));
  if (keys.length > 0) appendFileSync(file, `${JSON.stringify({ queue, at: Date.now(), keys } satisfies DeliveryLogLine)}\n`);
}

/**
 * The same record for partitioned queues, whose consumers lease and ack through their own fenced
 * scripts rather than consumeBatches: every PartitionedConsumer this process starts has its batch
 * handler wrapped, so that the batches it settled are logged, before their acks go out (they ride
 * on the partition's next lease), under the queue's own name.
 */
export function recordPartitionedConsumers(file: string): void {
  const start = PartitionedConsumer.prototype.start;
  PartitionedConsumer.prototype.start = function (this: PartitionedConsumer): Promise<void> {
    // The soak's harness reaches into the consumer it instruments; nothing else does.
    const options = (this as unknown as { options: PartitionedConsumerOptions }).options;
    const handleBatch = options.handleBatch;
    if (handleBatch) {
      options.handleBatch = async (deliveries) => {
        const report = await handleBatch(deliveries);
        recordSettled(file, options.spec.queue, deliveries, [...reportedFailures(report).keys()]);
        return report;
      };
    }
    return start.call(this);
  };
}

/** How often each message key of each queue was processed, over every worker's log file. */
export function readDeliveryLogs(files: string[]): Map<string, Map<string, number>> {
  const byQueue = new Map<string, Map<string, number>>();
  forEachLine(files, ({ queue, keys }) => {
    const counts = byQueue.get(queue) ?? new Map<string, number>();
    byQueue.set(queue, counts);
    for (const key of keys) counts.set(key, (counts.get(key) ?? 0) + 1);
  });
  return byQueue;
}


function forEachLine(files: string[], visit: (line: DeliveryLogLine) => void): void {
  for (const file of files) {
    if (!existsSync(file)) continue;
    for (const line of readFileSync(file, 'utf8').split('\n')) {
      // A worker killed during a write leaves at most its last line cut short.
      if (line.endsWith('}')) visit(JSON.parse(line) as DeliveryLogLine);
    }
  }
}
