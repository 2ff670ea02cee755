/**
 * The one code path every trigger uses (Kafka consumer group, Lambda Kafka event, backfill):
 * apply batches of events, of one partition or of several, to the impressions tables
 * effectively once.
 *
 * In a single transaction it locks the stored offset of each partition (in one order, so that
 * two loaders never deadlock on them), drops the events below it (an earlier batch applied
 * them: redelivery after a crash or a rebalance), adds the rest to the per-minute cells with
 * `count = count + n`, inserts the landing page rows (and the `donatewiki_unique` rows of views
 * that carry a contact), and moves each stored offset past its batch. Either all of that
 * commits or none of it does, so whatever Kafka redelivers, nothing is counted twice and
 * nothing is skipped. Several partitions' batches in one transaction share one aggregate: a
 * cell that all of them touch is written once (docs/architecture.md §7.3).
 */
import type { Pool } from 'mysql2/promise';
import { bulkInsert, columnName } from '../db/bulk-insert';
import type { Db } from '../db/client';
import { bannerimpressions, donatewikiUnique, landingpageimpressionRaw } from '../db/schema';
import { inTransaction, withDatabase, type Transaction } from '../db/transaction';
import { log as rootLog, type Logger } from '../log';
import { aggregateDimensionValues, classifyEvent, dimensionValues, ImpressionAggregate, type DimensionValues } from './aggregation';
import type { ImpressionTopic } from './config';
import { DimensionCache } from './dimension-cache';
import { lockStoredOffset, storeOffset, type OffsetSource, type OffsetTallies } from './offset-store';

/** One record of a partition: its offset and its raw JSON value. */
export interface RawMessage {
  offset: number;
  value: string | Buffer | null;
}

/** Consecutive records of one partition, in offset order. */
export interface SourceBatch {
  consumerGroup: string;
  topic: ImpressionTopic;
  partition: number;
  messages: RawMessage[];
}

/** An invalid record, for the log sample: where it was and why, never its content. */
export interface InvalidRecord {
  offset: number;
  reason: string;
  uuid: string | null;
}

/**
 * Consecutive records of one partition, classified and summed as they arrived (the consumer
 * group run, lib/impressions/received-batches.ts), so that what waits for a transaction costs
 * memory per cell rather than per event. Once summed, records cannot be told apart: a stored
 * offset inside the batch makes it an `overlap` (nothing applied; read again from there).
 */
export interface AggregatedBatch {
  consumerGroup: string;
  topic: ImpressionTopic;
  partition: number;
  /** The offset of the first record, and the one after the last. */
  firstOffset: number;
  nextOffset: number;
  /** Records summed into `aggregate`. */
  records: number;
  aggregate: ImpressionAggregate;
  invalid: InvalidRecord[];
}

/**
 * What to do when the batch starts after the stored offset (events in between were never
 * applied). `report`: apply nothing and say so, the caller seeks back to the stored offset.
 * `accept`: apply it anyway; for callers that cannot seek, or after seeking once showed that
 * the events in between no longer exist (retention, compaction, transaction markers).
 */
export type GapPolicy = 'report' | 'accept';

export interface BatchResult {
  /**
   * `skipped`: every event had been applied before. `gap`: see GapPolicy. `overlap`: an
   * AggregatedBatch began before the stored offset and ended after it; nothing was applied,
   * and the caller reads the partition again from the stored offset (`nextOffset`).
   */
  status: 'applied' | 'skipped' | 'gap' | 'overlap';
  /** The stored offset found before the batch (null: the partition was new). */
  storedOffset: number | null;
  /** The stored offset after the batch. */
  nextOffset: number | null;
  /** Events of this batch newly applied, and what they were. */
  applied: number;
  counted: number;
  ignored: number;
  invalid: number;
  /** Distinct banner cells written. */
  cells: number;
}

export interface ImpressionsLoaderOptions {
  /** Drizzle handle and its pool, as `openDatabase` returns them (sessions in UTC). */
  db: Db;
  pool: Pool;
  logger?: Logger;
  /** Invalid events logged in full (afterwards one in a thousand). */
  invalidLogSample?: number;
}

const ROWS_PER_STATEMENT = 1000;

// Plain mysql2 bulk statements: on this path they run twice as fast as Drizzle's builder.
const COUNT = columnName(bannerimpressions.count);
const ESTIMATED = columnName(bannerimpressions.estimatedCount);
const INSERT_CELLS = bulkInsert(
  bannerimpressions,
  ['timestamp', 'banner', 'campaign', 'projectId', 'languageId', 'countryId', 'count', 'estimatedCount'],
  `ON DUPLICATE KEY UPDATE ${COUNT} = ${COUNT} + VALUES(${COUNT}), ${ESTIMATED} = ${ESTIMATED} + VALUES(${ESTIMATED})`,
);
const INSERT_LANDING_PAGES = bulkInsert(landingpageimpressionRaw, [
  'timestamp',
  'utmSource',
  'utmCampaign',
  'utmMedium',
  'utmKey',
  'landingpage',
  'projectId',
  'languageId',
  'countryId',
]);
// The legacy loaders' deliberate no-op on a repeat: the first view of a contact per utm_source stays.
const LINK_ID = columnName(donatewikiUnique.linkId);
const INSERT_DONATEWIKI_UNIQUE = bulkInsert(
  donatewikiUnique,
  ['timestamp', 'utmSource', 'utmCampaign', 'contactId', 'linkId'],
  `ON DUPLICATE KEY UPDATE ${LINK_ID} = ${LINK_ID}`,
);

/** Applies impression batches; one per process, built at module scope by the handlers. */
export class ImpressionsLoader {
  private readonly pool: Pool;
  private readonly log: Logger;
  private readonly dimensions: DimensionCache;
  private readonly invalidLogSample: number;
  private invalidSeen = 0;

  constructor(options: ImpressionsLoaderOptions) {
    this.pool = options.pool;
    this.log = options.logger ?? rootLog.child({ component: 'impressions' });
    this.dimensions = new DimensionCache(options.db);
    this.invalidLogSample = options.invalidLogSample ?? 20;
  }

  /**
   * Applies the batch effectively once. Resolves with what happened; rejects when the database
   * fails (an InfrastructureError when it is unreachable or busy, DatabaseRejectedError when it
   * refuses a statement; lib/db/transaction.ts), in which case nothing of the batch is stored
   * and it must be delivered again.
   */
  async applyBatch(batch: SourceBatch, options: { onGap?: GapPolicy } = {}): Promise<BatchResult> {
    const [result] = await this.applyBatches([batch], options);
    return result!;
  }

  /**
   * Applies batches of distinct partitions in one transaction, as `applyBatch` applies one:
   * each partition's result is its own (one may be a gap while the others apply), and a failure
   * stores nothing of any of them. Results are in the order of `batches`.
   */
  async applyBatches(batches: SourceBatch[], { onGap = 'report' }: { onGap?: GapPolicy } = {}): Promise<BatchResult[]> {
    return this.applyInputs(
      batches.map((batch) => {
        assertAscending(batch.messages);
        const { messages } = batch;
        const outcomes = messages.map((message) => classifyEvent(batch.topic, message.value));
        return {
          source: sourceOf(batch),
          first: messages.length > 0 ? messages[0]!.offset : 0,
          next: messages.length > 0 ? messages[messages.length - 1]!.offset + 1 : 0,
          records: messages.length,
          dimensions: () => dimensionValues(outcomes),
          addTo: (aggregate: ImpressionAggregate, stored: number | null) => {
            let count = 0;
            for (let m = 0; m < messages.length; m++) {
              if (stored !== null && messages[m]!.offset < stored) continue;
              aggregate.add(outcomes[m]!);
              count += 1;
            }
            return count;
          },
          invalid: () => outcomes.flatMap((outcome, m) => (outcome.kind === 'invalid' ? [{ offset: messages[m]!.offset, reason: outcome.reason, uuid: outcome.uuid }] : [])),
        };
      }),
      onGap,
    );
  }

  /**
   * Applies batches summed on arrival, in one transaction, as `applyBatches` applies raw ones;
   * a batch the stored offset cuts in two comes back as `overlap` (see AggregatedBatch).
   */
  async applyAggregated(batches: AggregatedBatch[], { onGap = 'report' }: { onGap?: GapPolicy } = {}): Promise<BatchResult[]> {
    return this.applyInputs(
      batches.map((batch) => ({
        source: sourceOf(batch),
        first: batch.firstOffset,
        next: batch.nextOffset,
        records: batch.records,
        dimensions: () => aggregateDimensionValues([batch.aggregate]),
        addTo: (aggregate: ImpressionAggregate, stored: number | null) => {
          if (stored !== null && stored > batch.firstOffset) return null;
          aggregate.merge(batch.aggregate);
          return batch.records;
        },
        invalid: () => batch.invalid,
      })),
      onGap,
    );
  }

  private async applyInputs(inputs: BatchInput[], onGap: GapPolicy): Promise<BatchResult[]> {
    assertDistinctSources(inputs.map((input) => input.source));
    const active = inputs.filter((input) => input.records > 0);
    if (active.length === 0) return inputs.map(() => emptyResult('skipped', null));
    await withDatabase('resolve impression dimensions', () => this.dimensions.resolve(unionValues(active.map((input) => input.dimensions()))));

    // READ COMMITTED: fewer gap locks between concurrent loaders than REPEATABLE READ; the offset
    // row locks do the ordering. A lock conflict reruns the whole transaction, offsets included.
    const results = await inTransaction(
      this.pool,
      'apply impressions batch',
      (tx) => this.applyInTransaction(tx, active, onGap),
      { isolation: 'READ COMMITTED' },
    );
    for (const [i, input] of active.entries()) {
      const result = results[i]!;
      if (result.status !== 'applied') continue;
      if (result.storedOffset !== null && input.first > result.storedOffset) {
        this.log.warn({ ...input.source, storedOffset: result.storedOffset, firstOffset: input.first }, 'impressions batch applied across an offset gap');
      }
      this.logInvalid(input.source, input.invalid(), result.storedOffset);
    }
    return inputs.map((input) => (input.records === 0 ? emptyResult('skipped', null) : results[active.indexOf(input)]!));
  }

  private async applyInTransaction(tx: Transaction, inputs: BatchInput[], onGap: GapPolicy): Promise<BatchResult[]> {
    const aggregate = new ImpressionAggregate();
    const results: BatchResult[] = new Array<BatchResult>(inputs.length);
    const applied: Array<{ source: OffsetSource; next: number; tallies: OffsetTallies }> = [];
    // Offset rows are locked in one order whatever the order of the batches.
    const order = inputs.map((_, i) => i).sort((a, b) => compareSources(inputs[a]!.source, inputs[b]!.source));
    for (const i of order) {
      const { source, first, next } = inputs[i]!;
      const stored = await lockStoredOffset(tx.db, source);
      if (stored !== null && first > stored && onGap === 'report') {
        results[i] = emptyResult('gap', stored);
        continue;
      }
      if (stored !== null && next <= stored) {
        results[i] = emptyResult('skipped', stored);
        continue;
      }
      const before = { counted: aggregate.counted, ignored: aggregate.ignored, invalid: aggregate.invalid, cells: aggregate.cellCount };
      const count = inputs[i]!.addTo(aggregate, stored);
      if (count === null) {
        results[i] = emptyResult('overlap', stored);
        continue;
      }
      const tallies = { counted: aggregate.counted - before.counted, ignored: aggregate.ignored - before.ignored, invalid: aggregate.invalid - before.invalid };
      applied.push({ source, next, tallies });
      // `cells`: the cells this batch added to the transaction's aggregate (a cell another
      // batch of it touched first is written once, for both).
      results[i] = { status: 'applied', storedOffset: stored, nextOffset: next, applied: count, ...tallies, cells: aggregate.cellCount - before.cells };
    }
    await this.writeCells(tx, aggregate);
    await this.writeLandingPages(tx, aggregate);
    for (const { source, next, tallies } of applied) await storeOffset(tx.db, source, next, tallies);
    return results;
  }

  private async writeCells({ conn }: Transaction, aggregate: ImpressionAggregate): Promise<void> {
    const cells = aggregate.cells();
    for (let start = 0; start < cells.length; start += ROWS_PER_STATEMENT) {
      const rows = cells.slice(start, start + ROWS_PER_STATEMENT).map(({ cell, count, estimatedCount }) => ({
        timestamp: new Date(cell.minute),
        banner: cell.banner,
        campaign: cell.campaign,
        projectId: this.dimensions.id('project', cell.project),
        languageId: this.dimensions.id('language', cell.language),
        countryId: this.dimensions.id('country', cell.country),
        // A `sampledN` file's factor 100 / N need not be whole: the legacy loader summed it per
        // cell and file and the integer column rounded the sum; so does this, per cell and transaction.
        count: Math.round(count),
        estimatedCount,
      }));
      await conn.query(INSERT_CELLS.statement, [INSERT_CELLS.values(rows)]);
    }
  }

  private async writeLandingPages({ conn }: Transaction, aggregate: ImpressionAggregate): Promise<void> {
    const { rows } = aggregate;
    for (let start = 0; start < rows.length; start += ROWS_PER_STATEMENT) {
      const values = rows.slice(start, start + ROWS_PER_STATEMENT).map((row) => ({
        timestamp: new Date(row.time),
        utmSource: row.utmSource,
        utmCampaign: row.utmCampaign,
        utmMedium: row.utmMedium,
        utmKey: row.utmKey,
        landingpage: row.landingpage,
        projectId: this.dimensions.id('project', row.project),
        languageId: this.dimensions.id('language', row.language),
        countryId: this.dimensions.id('country', row.country),
      }));
      await conn.query(INSERT_LANDING_PAGES.statement, [INSERT_LANDING_PAGES.values(values)]);
    }
    const contacts = rows.filter((row) => row.contactId !== null);
    for (let start = 0; start < contacts.length; start += ROWS_PER_STATEMENT) {
      const values = contacts.slice(start, start + ROWS_PER_STATEMENT).map((row) => ({
        timestamp: new Date(row.time),
        utmSource: row.utmSource,
        utmCampaign: row.utmCampaign,
        contactId: row.contactId,
        linkId: row.linkId,
      }));
      await conn.query(INSERT_DONATEWIKI_UNIQUE.statement, [INSERT_DONATEWIKI_UNIQUE.values(values)]);
    }
  }

  /** Logs a sample of the invalid events that this batch applied (their reason and position, not their content). */
  private logInvalid(source: OffsetSource, invalid: InvalidRecord[], stored: number | null): void {
    for (const record of invalid) {
      if (stored !== null && record.offset < stored) continue;
      this.invalidSeen += 1;
      if (this.invalidSeen <= this.invalidLogSample || this.invalidSeen % 1000 === 0) {
        this.log.warn(
          { topic: source.topic, partition: source.partition, offset: record.offset, uuid: record.uuid, reason: record.reason, invalidSoFar: this.invalidSeen },
          'invalid impression event counted as invalid',
        );
      }
    }
  }
}

function emptyResult(status: 'skipped' | 'gap' | 'overlap', stored: number | null): BatchResult {
  return { status, storedOffset: stored, nextOffset: stored, applied: 0, counted: 0, ignored: 0, invalid: 0, cells: 0 };
}

/** A batch of either kind, as the transaction sees it. */
interface BatchInput {
  source: OffsetSource;
  /** The offset of the first record and the one after the last (meaningless when `records` is 0). */
  first: number;
  next: number;
  records: number;
  dimensions(): DimensionValues;
  /** Adds the records at or after `stored` to `aggregate` and returns how many; null when they cannot be told apart. */
  addTo(aggregate: ImpressionAggregate, stored: number | null): number | null;
  invalid(): InvalidRecord[];
}

function sourceOf(batch: { consumerGroup: string; topic: ImpressionTopic; partition: number }): OffsetSource {
  return { consumerGroup: batch.consumerGroup, topic: batch.topic.topic, partition: batch.partition };
}

function unionValues(all: DimensionValues[]): DimensionValues {
  if (all.length === 1) return all[0]!;
  const values: DimensionValues = { country: new Set(), language: new Set(), project: new Set() };
  for (const one of all) for (const dimension of ['country', 'language', 'project'] as const) for (const value of one[dimension]) values[dimension].add(value);
  return values;
}

function compareSources(a: OffsetSource, b: OffsetSource): number {
  return a.consumerGroup < b.consumerGroup ? -1 : a.consumerGroup > b.consumerGroup ? 1 : a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : a.partition - b.partition;
}

function assertDistinctSources(sources: OffsetSource[]): void {
  const keys = new Set(sources.map((source) => `${source.consumerGroup}\u0001${source.topic}\u0001${source.partition}`));
  if (keys.size !== sources.length) throw new Error('batches of one transaction must come from distinct partitions');
}

function assertAscending(messages: RawMessage[]): void {
  for (let i = 1; i < messages.length; i++) {
    if (!(messages[i]!.offset > messages[i - 1]!.offset)) throw new Error('batch messages must be in ascending offset order');
  }
}
