/**
 * Drain and bridge: moving a legacy ActiveMQ queue into the queue that replaces it
 * (docs/architecture.md §13). Both read with client-individual acknowledgement and acknowledge a
 * message only after `moveBatch` resolved, so the broker gives up nothing the target does not
 * hold; a crash of either side (the broker, or this process) leaves the unacknowledged messages
 * at the broker, and the next connection or run moves them again, stored once by their
 * idempotency key. A drain ends when its queue has been quiet for the idle time; a bridge keeps
 * moving new messages until its time limit or its stop signal.
 */
import { createHash } from 'node:crypto';
import { connectLegacyBroker, type LegacyBrokerOptions, type LegacyBrokerSession, type LegacyDelivery } from './legacy-broker';
import { LegacyBrokerUnavailableError } from './errors';
import { readLegacyMessage } from './legacy-message';
import { moveBatch, type CutoverChannel, type LegacyItem, type MoverDeps } from './mover';
import { RunTally, type ChannelReport } from './report';

export interface BrokerChannel extends CutoverChannel {
  /** The legacy ActiveMQ queue. */
  legacy: string;
}

export interface DrainOptions {
  broker: LegacyBrokerOptions;
  /** Messages per target push, and the broker's prefetch. */
  batchSize: number;
  /** `drain` ends once the queue sent nothing for `idleMs`; `bridge` runs until `deadline` or `signal`. */
  mode: 'drain' | 'bridge';
  idleMs: number;
  /** Wall-clock end (ms); none: until idle (drain) or the signal (bridge). */
  deadline?: number;
  signal?: AbortSignal;
  /** How long to keep reconnecting to a broker that went away before failing. */
  brokerRetryMs: number;
  dryRun?: boolean;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
/** How long a partly filled batch waits for more messages. */
const BATCH_WAIT_MS = 50;

function itemOf(delivery: LegacyDelivery, legacy: string): LegacyItem {
  return { raw: delivery.body, context: { source: `activemq:/queue/${legacy}`, ...delivery.headers } };
}

/** The hash a message gets in the ledger, without moving it (what is left at the source). */
function hashOf(delivery: LegacyDelivery, channel: BrokerChannel): string {
  const read = readLegacyMessage(delivery.body, channel.format);
  return read.ok ? read.hash : createHash('sha256').update(delivery.body).digest('hex');
}

async function connectWithRetry(options: DrainOptions, stopped: () => boolean): Promise<LegacyBrokerSession | null> {
  const giveUpAt = Date.now() + options.brokerRetryMs;
  for (;;) {
    try {
      return await connectLegacyBroker(options.broker);
    } catch (error) {
      if (!(error instanceof LegacyBrokerUnavailableError) || Date.now() >= giveUpAt) throw error;
      if (stopped()) return null;
      await sleep(500);
    }
  }
}

/** Counts what the queue holds now and their hashes, by browsing it. */
async function browseSource(options: DrainOptions, channel: BrokerChannel, onEach?: (delivery: LegacyDelivery) => void): Promise<{ count: number; hashes: string[] }> {
  const session = await connectWithRetry(options, () => false);
  if (!session) throw new LegacyBrokerUnavailableError(`legacy broker did not answer to browse ${channel.legacy}`);
  const hashes: string[] = [];
  try {
    await session.browse(channel.legacy, (delivery) => {
      hashes.push(hashOf(delivery, channel));
      onEach?.(delivery);
    });
  } finally {
    await session.close();
  }
  return { count: hashes.length, hashes };
}

/** Moves one legacy queue (or, in a dry run, only reads and classifies it) and reports. */
export async function drainChannel(deps: MoverDeps, channel: BrokerChannel, options: DrainOptions): Promise<ChannelReport> {
  const tally = new RunTally();
  if (options.dryRun) {
    const items: LegacyItem[] = [];
    const atSource = await browseSource(options, channel, (delivery) => items.push(itemOf(delivery, channel.legacy)));
    for (let i = 0; i < items.length; i += options.batchSize) tally.add(await moveBatch(deps, channel, items.slice(i, i + options.batchSize), true));
    return tally.report(deps.ledger, channel, true, atSource);
  }

  const stopped = () => options.signal?.aborted === true || (options.deadline !== undefined && Date.now() >= options.deadline);
  let finished = false;
  while (!finished && !stopped()) {
    const session = await connectWithRetry(options, stopped);
    if (!session) break;
    const buffer: LegacyDelivery[] = [];
    let wake: (() => void) | undefined;
    let lastMessageAt = Date.now();
    session.consume(channel.legacy, options.batchSize, (delivery) => {
      buffer.push(delivery);
      lastMessageAt = Date.now();
      wake?.();
    });
    let lost = false;
    void session.closed.then(() => {
      lost = true;
      wake?.();
    });
    try {
      while (!lost && !stopped()) {
        if (buffer.length < options.batchSize) {
          const waitMs = buffer.length > 0 ? BATCH_WAIT_MS : Math.max(1, Math.min(250, lastMessageAt + options.idleMs - Date.now()));
          await new Promise<void>((resolve) => {
            wake = resolve;
            setTimeout(resolve, waitMs);
          });
          wake = undefined;
        }
        if (lost) break;
        if (buffer.length === 0) {
          if (options.mode === 'drain' && Date.now() - lastMessageAt >= options.idleMs) {
            finished = true;
            break;
          }
          continue;
        }
        const batch = buffer.splice(0, options.batchSize);
        tally.add(await moveBatch(deps, channel, batch.map((delivery) => itemOf(delivery, channel.legacy))));
        // Only now may the broker forget them: the target (or damaged) holds every one.
        for (const delivery of batch) if (delivery.ack()) tally.ack(delivery.messageId);
      }
    } finally {
      // What is still buffered was never pushed and is not acknowledged: the broker redelivers it.
      await session.close();
    }
    if (lost && !finished) deps.logger.warn({ channel: channel.name }, 'legacy broker connection lost; reconnecting');
  }
  // A bridge's source is still being written: what it holds at the end says nothing, and a
  // browse of a long queue would outlast a scheduled run.
  const atSource = options.mode === 'drain' ? await browseSource(options, channel).catch(() => null) : null;
  return tally.report(deps.ledger, channel, false, atSource);
}
