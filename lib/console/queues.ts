/**
 * The queue side of the console: per queue what waits where (QueueBackend.stats), the first
 * ready messages (peek, where the backend can), dead-letter redrive at a bounded rate and purge
 * behind a typed confirmation. Every change is audited (./audit.ts).
 */
import type { Db } from '../db/client';
import { toError } from '../errors';
import { definedPartitionSpec, partitionStorageQueues, queueStats, type PartitionedQueueStatus, type PartitionSpec } from '../queue/partitions';
import type { QueueBackend, QueueRates, QueueStats } from '../queue/types';
import { recordAudit, type Actor } from './audit';
import { ConfirmationMismatchError, UnknownQueueError } from './errors';
import { maskBody } from './mask';

export interface QueueDeps {
  backend: QueueBackend;
  db: Db;
}

/** One queue's figures, or why they could not be read (one queue down does not hide the others). */
export type QueueOverview = { queue: string; stats: QueueStats; error?: undefined } | { queue: string; stats?: undefined; error: string };

/** Stats of every managed queue, read concurrently. */
export async function queueOverview(backend: QueueBackend, queues: string[]): Promise<QueueOverview[]> {
  return Promise.all(
    queues.map(async (queue): Promise<QueueOverview> => {
      try {
        return { queue, stats: await queueStats(backend, queue) };
      } catch (error) {
        return { queue, error: `${toError(error).name}: ${toError(error).message}` };
      }
    }),
  );
}

/** The first `count` ready messages of a queue, masked; null when the backend cannot peek (SQS). */
export async function peekQueue(backend: QueueBackend, queues: string[], queue: string, count = 5): Promise<string[] | null> {
  assertManaged(queues, queue);
  if (!backend.capabilities.peek) return null;
  return (await backend.peek(queue, count)).map((body) => maskBody(body).text);
}

export interface RedriveLimits {
  max: number;
  perSecond: number;
}

/** Where a queue's messages and dead letters live: its partition queues when it is partitioned (on Redis), itself otherwise. */
function storageOf(backend: QueueBackend, queue: string): string[] {
  const spec = definedPartitionSpec(queue);
  return spec ? partitionStorageQueues(backend, spec) : [queue];
}

/**
 * Moves up to `limits.max` dead letters of `queue` back onto it at `limits.perSecond`; audited. A
 * partitioned queue's dead letters go back into the partition queue they came from: the same
 * partition their key routes to.
 */
export async function redriveQueue(deps: QueueDeps, actor: Actor, queues: string[], queue: string, limits: RedriveLimits): Promise<{ moved: number }> {
  assertManaged(queues, queue);
  const before = await queueStats(deps.backend, queue);
  let moved = 0;
  for (const storage of storageOf(deps.backend, queue)) {
    if (moved >= limits.max) break;
    moved += await deps.backend.redriveDeadLetters(storage, { max: limits.max - moved, perSecond: limits.perSecond });
  }
  await recordAudit(deps.db, actor, { action: 'queue.redrive', target: `queue:${queue}`, before: { dead: before.dead }, after: { moved, ...limits } });
  return { moved };
}

/**
 * Deletes everything `queue` holds, only when `confirmation` is the queue's name typed out;
 * the audit row keeps the figures it had.
 */
export async function purgeQueue(deps: QueueDeps, actor: Actor, queues: string[], queue: string, confirmation: string): Promise<{ purged: QueueStats }> {
  assertManaged(queues, queue);
  if (confirmation.trim() !== queue) throw new ConfirmationMismatchError('type the queue name exactly to purge it');
  const before = await queueStats(deps.backend, queue);
  for (const storage of storageOf(deps.backend, queue)) await deps.backend.purge(storage);
  await recordAudit(deps.db, actor, { action: 'queue.purge', target: `queue:${queue}`, before, after: await queueStats(deps.backend, queue) });
  return { purged: before };
}

/** Refuses queues the console does not manage, so that no request can name an arbitrary key. */
export function assertManaged(queues: string[], queue: string): void {
  if (!queues.includes(queue)) throw new UnknownQueueError(`the console manages no queue named ${JSON.stringify(queue.slice(0, 100))}`);
}

/** Minutes the queue page's rates chart covers. */
export const RATE_CHART_MINUTES = 60;

/**
 * Pushed and acked per minute over the last hour; null where the backend keeps no counts (SQS).
 * A partitioned queue's messages live in its partition queues (partitionStorageQueues): its
 * rates are theirs, summed minute by minute.
 */
export async function queueRates(backend: QueueBackend, queues: string[], queue: string, partitioned: PartitionSpec[] = []): Promise<QueueRates | null> {
  assertManaged(queues, queue);
  const { rates } = backend;
  if (!rates) return null;
  const spec = partitioned.find((p) => p.queue === queue);
  const storage = spec ? partitionStorageQueues(backend, spec) : [queue];
  const each = await Promise.all(storage.map((q) => rates.call(backend, q, RATE_CHART_MINUTES)));
  const add = (field: 'pushed' | 'acked') => each[0]![field].map((_, minute) => each.reduce((total, r) => total + (r[field][minute] ?? 0), 0));
  return { start: each[0]!.start, pushed: add('pushed'), acked: add('acked') };
}

/** Reads a partitioned queue's members, owners and counts (lib/queue/partitions, partitionStatus). */
export type PartitionStatusReader = (spec: PartitionSpec) => Promise<PartitionedQueueStatus>;

/** The partitions of `queue` with their owners and figures; null when the queue is not partitioned. */
export async function partitionView(
  deps: { partitionStatus: PartitionStatusReader },
  queues: string[],
  partitioned: PartitionSpec[],
  queue: string,
): Promise<PartitionedQueueStatus | null> {
  assertManaged(queues, queue);
  const spec = partitioned.find((candidate) => candidate.queue === queue);
  return spec ? deps.partitionStatus(spec) : null;
}
