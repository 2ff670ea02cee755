/**
 * The queue side of the console: per queue what waits where (QueueBackend.stats), the first
 * ready messages (peek, where the backend can), dead-letter redrive at a bounded rate and purge
 * behind a typed confirmation. Every change is audited (./audit.ts).
 */
import type { Db } from '../db/client';
import { toError } from '../errors';
import { queueStats, queueStorage, type PartitionedQueueStatus, type PartitionSpec } from '../queue/partitions';
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

/** Which of the managed queues are partitioned, and how (ConsoleOptions.partitioned). */
export function specIn(partitioned: PartitionSpec[]): (queue: string) => PartitionSpec | undefined {
  return (queue) => partitioned.find((spec) => spec.queue === queue);
}

/** Stats of every managed queue, read concurrently; a partitioned queue's are its partitions' summed. */
export async function queueOverview(backend: QueueBackend, queues: string[], partitioned: PartitionSpec[] = []): Promise<QueueOverview[]> {
  return Promise.all(
    queues.map(async (queue): Promise<QueueOverview> => {
      try {
        return { queue, stats: await queueStats(backend, queue, specIn(partitioned)) };
      } catch (error) {
        return { queue, error: `${toError(error).name}: ${toError(error).message}` };
      }
    }),
  );
}

/**
 * The first `count` ready messages of a queue, masked (of a partitioned queue: partition by
 * partition, each in its order); null when the backend cannot peek (SQS).
 */
export async function peekQueue(backend: QueueBackend, queues: string[], queue: string, count = 5, partitioned: PartitionSpec[] = []): Promise<string[] | null> {
  assertManaged(queues, queue);
  if (!backend.capabilities.peek) return null;
  const bodies: string[] = [];
  for (const storage of storageOf(backend, queue, partitioned)) {
    if (bodies.length >= count) break;
    bodies.push(...(await backend.peek(storage, count - bodies.length)));
  }
  return bodies.map((body) => maskBody(body).text);
}

export interface RedriveLimits {
  max: number;
  perSecond: number;
}

/** Where a queue's messages and dead letters live (queueStorage, by the console's partitioned options). */
function storageOf(backend: QueueBackend, queue: string, partitioned: PartitionSpec[]): string[] {
  return queueStorage(backend, queue, specIn(partitioned));
}

/**
 * Moves up to `limits.max` dead letters of `queue` back onto it at `limits.perSecond`; audited. A
 * partitioned queue's dead letters go back into the partition queue they came from: the same
 * partition their key routes to.
 */
export async function redriveQueue(
  deps: QueueDeps,
  actor: Actor,
  queues: string[],
  queue: string,
  limits: RedriveLimits,
  partitioned: PartitionSpec[] = [],
): Promise<{ moved: number }> {
  assertManaged(queues, queue);
  const before = await queueStats(deps.backend, queue, specIn(partitioned));
  let moved = 0;
  for (const storage of storageOf(deps.backend, queue, partitioned)) {
    if (moved >= limits.max) break;
    moved += await deps.backend.redriveDeadLetters(storage, { max: limits.max - moved, perSecond: limits.perSecond });
  }
  await recordAudit(deps.db, actor, { action: 'queue.redrive', target: `queue:${queue}`, before: { dead: before.dead }, after: { moved, ...limits } });
  return { moved };
}

/**
 * Deletes everything `queue` holds (every partition of a partitioned queue), only when
 * `confirmation` is the queue's name typed out; the audit row keeps the figures it had.
 */
export async function purgeQueue(
  deps: QueueDeps,
  actor: Actor,
  queues: string[],
  queue: string,
  confirmation: string,
  partitioned: PartitionSpec[] = [],
): Promise<{ purged: QueueStats }> {
  assertManaged(queues, queue);
  if (confirmation.trim() !== queue) throw new ConfirmationMismatchError('type the queue name exactly to purge it');
  const specOf = specIn(partitioned);
  const before = await queueStats(deps.backend, queue, specOf);
  for (const storage of queueStorage(deps.backend, queue, specOf)) await deps.backend.purge(storage);
  await recordAudit(deps.db, actor, { action: 'queue.purge', target: `queue:${queue}`, before, after: await queueStats(deps.backend, queue, specOf) });
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
 * A partitioned queue's messages live in its storage queues (queueStorage): its rates are
 * theirs, summed minute by minute.
 */
export async function queueRates(backend: QueueBackend, queues: string[], queue: string, partitioned: PartitionSpec[] = []): Promise<QueueRates | null> {
  assertManaged(queues, queue);
  const { rates } = backend;
  if (!rates) return null;
  const each = await Promise.all(storageOf(backend, queue, partitioned).map((q) => rates.call(backend, q, RATE_CHART_MINUTES)));
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
