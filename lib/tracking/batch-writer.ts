/**
 * The consumer's unit of work: one batch of tracking messages into the event log and the
 * summary, in one transaction.
 *
 * Per batch, under the writer locks of its ids' partitions (transaction.ts): keep out messages whose contribution_id
 * conflicts, append the rest to the event log (duplicates skipped), then re-merge each touched
 * id from its whole event log and write both summaries (contribution_tracking, detail.ts). Recomputing from the log makes the result
 * independent of delivery order and equal to the rebuild by construction; a tracking id has a
 * handful of events, so it costs one indexed read per batch.
 */
import type { Pool } from 'mysql2/promise';
import { toError } from '../errors';
import type { Logger } from '../log';
import type { PartitionSpec } from '../queue/partitions';
import { appendEvents, findStoredHashes, messageHash, readEvents, type NewEvent } from './event-log';
import { ContributionIdConflictError } from './errors';
import { foldByTrackingId } from './merge';
import { normaliseTrackingMessage, parseTrackingObject } from './message';
import {
  formAmountOf,
  logTruncations,
  readContributionClaims,
  toSummaryRow,
  writeSummaries,
  type Truncation,
} from './summary-store';
import { inWriterTransaction } from './transaction';
import { detailAmountOf, toDetailRow, writeDetails } from './detail';
import { logUsdIssues, readRatesFor, type UsdIssue } from './usd-amount';

export interface TrackingBatchItem {
  /** Caller's key for the outcome (the queue delivery id). */
  key: string;
  /** The raw body as delivered. */
  body: string;
  /** The body already parsed as a JSON object (the consumer runner's), so that it is not parsed twice. */
  parsed?: Record<string, unknown>;
}

type Prepared = { message: ReturnType<typeof normaliseTrackingMessage>; hash: string };
/** Messages validated and hashed ahead (prepareTrackingBatch), by the parsed body they came from. */
const preparedAhead = new WeakMap<Record<string, unknown>, Prepared>();

function prepared(parsed: Record<string, unknown>): Prepared {
  return { message: normaliseTrackingMessage(parsed), hash: messageHash(parsed) };
}

function prepare(parsed: Record<string, unknown>): Prepared {
  return preparedAhead.get(parsed) ?? prepared(parsed);
}

/**
 * Validates and hashes the parsed bodies of a batch that `writeTrackingBatch` will get later (as
 * `parsed`), ahead of time: the consumer calls it for a batch leased ahead while the batch before
 * is in its transaction (lib/consumer/run-batch-consumer.ts, prepareBatch). What fails here is
 * left to writeTrackingBatch, which reports it.
 */
export function prepareTrackingBatch(bodies: ReadonlyArray<Record<string, unknown>>): void {
  for (const parsed of bodies) {
    if (preparedAhead.has(parsed)) continue;
    try {
      preparedAhead.set(parsed, prepared(parsed));
    } catch {
      // Rejected by writeTrackingBatch with the same error.
    }
  }
}

export type TrackingOutcome =
  | { status: 'stored' }
  | { status: 'duplicate' }
  /** The message cannot be stored; it belongs in `damaged` with this error. */
  | { status: 'rejected'; error: Error };

/**
 * Writes a batch and returns each message's outcome by key. Rejects only when the database
 * fails (lib/db/transaction.ts: unreachable or busy, an InfrastructureError; a refused
 * statement, DatabaseRejectedError): then nothing of the batch was written. `partitionSpec` is
 * the tracking queue's (definedPartitionSpec), whose partitions the writer locks follow; absent
 * for a queue that is not partitioned (one lock).
 */
export async function writeTrackingBatch(
  pool: Pool,
  items: TrackingBatchItem[],
  logger: Logger,
  partitionSpec?: PartitionSpec,
): Promise<Map<string, TrackingOutcome>> {
  const outcomes = new Map<string, TrackingOutcome>();
  const candidates: Array<NewEvent & { key: string }> = [];
  for (const item of items) {
    try {
      const { message, hash } = prepare(item.parsed ?? parseTrackingObject(item.body));
      candidates.push({ key: item.key, message, body: item.body, hash });
    } catch (error) {
      outcomes.set(item.key, { status: 'rejected', error: toError(error) });
    }
  }
  if (candidates.length === 0) return outcomes;

  const ids = [...new Set(candidates.map((c) => c.message.id))];
  const warnings = await inWriterTransaction(pool, 'write contribution tracking batch', { spec: partitionSpec, trackingIds: ids }, async (tx) => {
    const { db } = tx;
    const batchOutcomes = new Map<string, TrackingOutcome>();

    const claimed = candidates.map((c) => c.message.fields.contribution_id).filter((v): v is number => v !== undefined);
    const { contributionOf, ownerOf } = await readContributionClaims(db, ids, [...new Set(claimed)]);
    const accepted: typeof candidates = [];
    for (const candidate of candidates) {
      const { id, fields } = candidate.message;
      const wanted = fields.contribution_id;
      if (wanted !== undefined) {
        const current = contributionOf.get(id);
        const owner = ownerOf.get(wanted);
        if (current !== undefined && current !== wanted) {
          batchOutcomes.set(candidate.key, { status: 'rejected', error: new ContributionIdConflictError(id, current, wanted) });
          continue;
        }
        if (owner !== undefined && owner !== id) {
          batchOutcomes.set(candidate.key, {
            status: 'rejected',
            error: new ContributionIdConflictError(id, contributionOf.get(owner) ?? wanted, wanted, owner),
          });
          continue;
        }
        contributionOf.set(id, wanted);
        ownerOf.set(wanted, id);
      }
      accepted.push(candidate);
    }

    // The stored hashes first (a plain read, which locks nothing), then one append of the fresh
    // events that meets no stored hash: an append meeting one would lock the hash index's gap
    // around it, which writers of other partitions appending at the same moment deadlock on.
    const stored = await findStoredHashes(db, [...new Set(accepted.map((c) => c.hash))]);
    const fresh: typeof accepted = [];
    for (const candidate of accepted) {
      if (stored.has(candidate.hash)) {
        batchOutcomes.set(candidate.key, { status: 'duplicate' });
      } else {
        stored.add(candidate.hash);
        fresh.push(candidate);
        batchOutcomes.set(candidate.key, { status: 'stored' });
      }
    }
    const fromId = await appendEvents(tx, fresh);

    const freshHashes = new Set(fresh.map((c) => c.hash));
    const touched = [...new Set(fresh.map((c) => c.message.id))];
    const appended = fromId === undefined ? undefined : { fromId, byHash: new Map(fresh.map((c) => [c.hash, c.message])) };
    const events = await readEvents(tx.db, touched, appended);
    const freshEventIds = new Set(events.filter((e) => freshHashes.has(e.hash)).map((e) => e.eventId));
    const found: Truncation[] = [];
    const issues: UsdIssue[] = [];
    const summaries = [...foldByTrackingId(events).values()];
    // The rates are read inside the transaction, so the rows written agree with the rates table a rebuild would read.
    const rates = await readRatesFor(tx.db, summaries.flatMap((s) => [formAmountOf(s), detailAmountOf(s)]).filter((a) => a !== undefined));
    const rows = summaries.map((summary) => toSummaryRow(summary, found, { rates, issues }));
    await writeSummaries(tx, rows);
    await writeDetails(tx, summaries.map((summary) => toDetailRow(summary, rates)));
    for (const [key, outcome] of batchOutcomes) outcomes.set(key, outcome);
    // Warn once per value: when the event that supplied it arrived in this batch.
    return { truncations: found.filter((t) => freshEventIds.has(t.eventId)), issues: issues.filter((i) => freshEventIds.has(i.eventId)) };
  });
  logTruncations(logger, warnings.truncations);
  logUsdIssues(logger, warnings.issues);
  return outcomes;
}
