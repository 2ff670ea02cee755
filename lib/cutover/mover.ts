/**
 * The one step every cutover mover takes with a batch of legacy messages (drain, bridge and the
 * importers, docs/architecture.md §13): normalise each as its new consumer would, push the good
 * ones onto the target queue with their content hash as idempotency key, store the others in
 * `damaged` once (raw body, and the legacy channel's headers in the trace), record both in the
 * ledger; a message the target queue refuses (over its size limit) is one of the others. It
 * resolves only when the target and `damaged` hold the batch: only then may the caller remove
 * anything at the source.
 */
import { createHash } from 'node:crypto';
import { and, eq } from 'drizzle-orm';
import type { DamagedStore } from '../consumer/damaged-store';
import type { Db } from '../db/client';
import { damaged } from '../db/schema';
import { withDatabase } from '../db/transaction';
import type { Logger } from '../log';
import { MessageRefusedError } from '../queue/errors';
import { queueProducer } from '../queue/partitions';
import type { MessageBody, QueueBackend } from '../queue/types';
import type { WireFormat } from '../console/wire-format';
import type { CutoverLedger } from './ledger';
import { readLegacyMessage } from './legacy-message';

/** A legacy source and the queue that replaces it. */
export interface CutoverChannel {
  /** The ledger's and the report's name: `activemq:pending`, `redis-limbo`, … */
  name: string;
  /** The queue that replaces it. */
  target: string;
  /** The target's wire format (§5): what its consumer accepts. */
  format: WireFormat;
}

/** One message as a legacy channel holds it. */
export interface LegacyItem {
  raw: string;
  /** Fields the channel kept beside the message (a limbo score's date), used where it lacks them. */
  fill?: Record<string, unknown>;
  /** Where it came from and how (STOMP headers, limbo key): kept in the damaged row's trace. */
  context: Record<string, string>;
}

export interface MoverDeps {
  backend: QueueBackend;
  db: Db;
  damagedStore: DamagedStore;
  ledger: CutoverLedger;
  logger: Logger;
}

export interface MovedBatch {
  /** Per item, its hash (content hash when movable, SHA-256 of the raw text otherwise). */
  hashes: string[];
  /** Per item: moved to the target, or stored (or, in a dry run, to be stored) in damaged. */
  outcomes: Array<'moved' | 'damaged'>;
}

/** The idempotency key of a message on its target queue: the same whichever channel or run pushes it. */
export function cutoverIdempotencyKey(hash: string): string {
  return `cutover:${hash}`;
}

function rawHash(raw: string): string {
  return createHash('sha256').update(raw).digest('hex');
}

/** Stores a damaged legacy message unless `damaged` already holds that raw text for that queue. */
async function storeDamagedOnce(deps: MoverDeps, queue: string, item: LegacyItem, error: Error, channel: string): Promise<void> {
  const found = await withDatabase('find a damaged legacy message', () =>
    deps.db.select({ id: damaged.id }).from(damaged).where(and(eq(damaged.originalQueue, queue), eq(damaged.message, item.raw))).limit(1),
  );
  if (found.length > 0) return;
  await deps.damagedStore.insert({ queue, body: item.raw, error, trace: `legacy channel ${channel}: ${JSON.stringify(item.context)}` });
}

/**
 * Moves `items` into `channel.target` (or only classifies them when `dryRun`). Rejects, with
 * nothing acknowledged anywhere, when the queue or the database fails.
 */
export async function moveBatch(deps: MoverDeps, channel: CutoverChannel, items: LegacyItem[], dryRun = false): Promise<MovedBatch> {
  const hashes: string[] = [];
  const outcomes: Array<'moved' | 'damaged'> = [];
  const bodies: MessageBody[] = [];
  const keys = new Map<MessageBody, string>();
  const itemOf = new Map<MessageBody, number>();
  const unmovable: Array<{ item: LegacyItem; error: Error }> = [];
  for (const item of items) {
    const read = readLegacyMessage(item.raw, channel.format, item.fill);
    if (read.ok) {
      hashes.push(read.hash);
      outcomes.push('moved');
      bodies.push(read.body);
      keys.set(read.body, cutoverIdempotencyKey(read.hash));
      itemOf.set(read.body, hashes.length - 1);
    } else {
      hashes.push(rawHash(item.raw));
      outcomes.push('damaged');
      unmovable.push({ item, error: read.error });
    }
  }
  if (dryRun) return { hashes, outcomes };
  for (const { body, error } of await pushRefusingAlone(deps.backend, channel.target, bodies, keys)) {
    const index = itemOf.get(body)!;
    hashes[index] = rawHash(items[index]!.raw);
    outcomes[index] = 'damaged';
    unmovable.push({ item: items[index]!, error });
  }
  for (const { item, error } of unmovable) await storeDamagedOnce(deps, channel.target, item, error, channel.name);
  await deps.ledger.recordMoved(channel.name, hashes.filter((_, i) => outcomes[i] === 'moved'));
  await deps.ledger.recordDamaged(channel.name, hashes.filter((_, i) => outcomes[i] === 'damaged'));
  if (unmovable.length > 0) deps.logger.warn({ channel: channel.name, damaged: unmovable.length }, 'legacy messages stored in damaged');
  return { hashes, outcomes };
}

/**
 * Pushes `bodies` onto `target` (through its routing when it is partitioned: contribution tracking,
 * by its id) and resolves with those the queue refused for what they are (MessageRefusedError: a
 * legacy message over the size limit, which ActiveMQ never had). A batch the queue refuses is
 * pushed again one message at a time, so that only the refused ones are left out; the idempotency
 * keys make the second push of any that a partition stored before the refusal a no-op.
 */
async function pushRefusingAlone(backend: QueueBackend, target: string, bodies: MessageBody[], keys: Map<MessageBody, string>): Promise<Array<{ body: MessageBody; error: MessageRefusedError }>> {
  if (bodies.length === 0) return [];
  const producer = queueProducer(backend, target);
  const idempotencyKey = (body: MessageBody) => keys.get(body)!;
  try {
    await producer.pushBatch(bodies, { idempotencyKey });
    return [];
  } catch (error) {
    if (!(error instanceof MessageRefusedError)) throw error;
  }
  const refused: Array<{ body: MessageBody; error: MessageRefusedError }> = [];
  for (const body of bodies) {
    try {
      await producer.pushBatch([body], { idempotencyKey });
    } catch (error) {
      if (!(error instanceof MessageRefusedError)) throw error;
      refused.push({ body, error });
    }
  }
  return refused;
}
