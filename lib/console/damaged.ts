/**
 * The `damaged` side of the console: search, one row, reveal (audited), edit and resend to the
 * original queue (checked against the queue's wire format first), delete, bulk resend of a
 * search result with a dry run, download. Bodies are masked everywhere but in a reveal.
 *
 * Resend follows requeue-damaged's order (docs/architecture.md §4.3): push first, then delete
 * the row and append the audit row in one transaction, so that a crash in between duplicates a
 * message and never loses one. A row of a partitioned queue goes back through its routing
 * (queueProducer), to its key's partition.
 */
import { createHash } from 'node:crypto';
import { and, count, desc, eq, gte, like, lte, type SQL } from 'drizzle-orm';
import type { Db } from '../db/client';
import { damaged, type DamagedRow } from '../db/schema';
import { queueProducer, type PartitionSpec } from '../queue/partitions';
import type { MessageBody, QueueBackend } from '../queue/types';
import { redactText } from '../redact';
import { recordAudit, type Actor } from './audit';
import { InvalidConsoleInputError, InvalidMessageEditError, RecordNotFoundError, StaleDryRunError } from './errors';
import { maskBody, maskedValue, restoreMasked, revealBody, tryParseJson } from './mask';
import { checkWireFormat, wireFormatOf, type WireFormat } from './wire-format';

export interface DamagedDeps {
  backend: QueueBackend;
  db: Db;
  /** Which queues are partitioned, and how (the console's options; queues/definitions.json when absent). */
  partitionSpecOf?: (queue: string) => PartitionSpec | undefined;
}

/** What operators search by; every field optional, all given ones must match. */
export interface DamagedFilter {
  queue?: string;
  gateway?: string;
  orderId?: string;
  gatewayTxnId?: string;
  /** damaged_date at or after. */
  from?: Date;
  /** damaged_date at or before. */
  to?: Date;
  /** A piece of the error text. */
  error?: string;
}

/** One row of a search result: the ids and the first line of the error, masked. */
export interface DamagedSummary {
  id: number;
  queue: string;
  damagedDate: Date;
  originalDate: Date;
  retryDate: Date | null;
  gateway: string | null;
  orderId: string | null;
  gatewayTxnId: string | null;
  error: string;
}

export interface DamagedPage {
  rows: DamagedSummary[];
  total: number;
  page: number;
  pageSize: number;
}

/** One row in full, masked: the message pretty-printed, the error and the trace. */
export interface DamagedDetail extends DamagedSummary {
  message: string;
  /** False when the stored body is not JSON: it is shown as text. */
  json: boolean;
  /** The format a resend is checked against. */
  wireFormat: WireFormat;
  fullError: string;
  trace: string | null;
}

const ERROR_PREVIEW_CHARS = 200;

/** Reads a search form's text values into a filter; blank values are no filter. */
export function parseDamagedFilter(input: Record<string, string | undefined>): DamagedFilter {
  const text = (key: string) => {
    const value = input[key]?.trim();
    return value ? value : undefined;
  };
  const date = (key: string, endOfDay: boolean) => {
    const value = text(key);
    if (value === undefined) return undefined;
    // A bare day means the whole day (UTC): `to=2026-12-01` includes that day's rows.
    const iso = /^\d{4}-\d{2}-\d{2}$/.test(value) ? `${value}T${endOfDay ? '23:59:59.999' : '00:00:00.000'}Z` : value;
    const parsed = new Date(iso);
    if (Number.isNaN(parsed.getTime())) throw new InvalidConsoleInputError(`${key} is not a date (YYYY-MM-DD or ISO 8601)`);
    return parsed;
  };
  return {
    queue: text('queue'),
    gateway: text('gateway'),
    orderId: text('order_id'),
    gatewayTxnId: text('gateway_txn_id'),
    from: date('from', false),
    to: date('to', true),
    error: text('error'),
  };
}

/** The filter as query-string pairs (links to the next page, the download, the bulk form). */
export function filterToQuery(filter: DamagedFilter): Record<string, string> {
  const out: Record<string, string> = {};
  if (filter.queue) out.queue = filter.queue;
  if (filter.gateway) out.gateway = filter.gateway;
  if (filter.orderId) out.order_id = filter.orderId;
  if (filter.gatewayTxnId) out.gateway_txn_id = filter.gatewayTxnId;
  if (filter.from) out.from = filter.from.toISOString();
  if (filter.to) out.to = filter.to.toISOString();
  if (filter.error) out.error = filter.error;
  return out;
}

function whereOf(filter: DamagedFilter): SQL | undefined {
  const conditions: SQL[] = [];
  if (filter.queue) conditions.push(eq(damaged.originalQueue, filter.queue));
  if (filter.gateway) conditions.push(eq(damaged.gateway, filter.gateway));
  if (filter.orderId) conditions.push(eq(damaged.orderId, filter.orderId));
  if (filter.gatewayTxnId) conditions.push(eq(damaged.gatewayTxnId, filter.gatewayTxnId));
  if (filter.from) conditions.push(gte(damaged.damagedDate, filter.from));
  if (filter.to) conditions.push(lte(damaged.damagedDate, filter.to));
  if (filter.error) conditions.push(like(damaged.error, `%${filter.error.replace(/[\\%_]/g, (c) => `\\${c}`)}%`));
  return conditions.length > 0 ? and(...conditions) : undefined;
}

function summaryOf(row: DamagedRow): DamagedSummary {
  const error = redactText(row.error ?? '').split('\n')[0] ?? '';
  return {
    id: row.id,
    queue: row.originalQueue,
    damagedDate: row.damagedDate,
    originalDate: row.originalDate,
    retryDate: row.retryDate,
    gateway: row.gateway,
    orderId: row.orderId,
    gatewayTxnId: row.gatewayTxnId,
    error: error.length > ERROR_PREVIEW_CHARS ? `${error.slice(0, ERROR_PREVIEW_CHARS)}…` : error,
  };
}

/** One page of rows matching `filter`, newest first, with the total count. */
export async function searchDamaged(db: Db, filter: DamagedFilter, { page = 1, pageSize }: { page?: number; pageSize: number }): Promise<DamagedPage> {
  if (!Number.isInteger(page) || page < 1) throw new InvalidConsoleInputError('page must be a whole number from 1');
  const where = whereOf(filter);
  const [rows, [totals]] = await Promise.all([
    db.select().from(damaged).where(where).orderBy(desc(damaged.damagedDate), desc(damaged.id)).limit(pageSize).offset((page - 1) * pageSize),
    db.select({ total: count() }).from(damaged).where(where),
  ]);
  return { rows: rows.map(summaryOf), total: Number(totals?.total ?? 0), page, pageSize };
}

async function loadRow(db: Pick<Db, 'select'>, id: number, { lock = false } = {}): Promise<DamagedRow> {
  const query = db.select().from(damaged).where(eq(damaged.id, id)).limit(1);
  const [row] = lock ? await query.for('update') : await query;
  if (!row) throw new RecordNotFoundError(`no damaged row ${id}`);
  return row;
}

/** One row in full, masked. */
export async function getDamaged(db: Db, formats: Record<string, WireFormat>, id: number): Promise<DamagedDetail> {
  return detailOf(await loadRow(db, id), formats);
}

function detailOf(row: DamagedRow, formats: Record<string, WireFormat>): DamagedDetail {
  const body = maskBody(row.message);
  return {
    ...summaryOf(row),
    message: body.text,
    json: body.json,
    wireFormat: wireFormatOf(formats, row.originalQueue),
    fullError: redactText(row.error ?? ''),
    trace: row.trace === null ? null : redactText(row.trace),
  };
}

/** The row's stored body unmasked; the audit row is written before anything is returned. */
export async function revealDamaged(db: Db, actor: Actor, id: number): Promise<{ id: number; message: string }> {
  const row = await loadRow(db, id);
  await recordAudit(db, actor, { action: 'damaged.reveal', target: `damaged:${id}` });
  return { id, message: revealBody(row.message) };
}

/**
 * The message a resend would push: the edited text (as shown masked, with unchanged masked values
 * put back) or, without an edit, the stored body; checked against the queue's wire format.
 */
function messageToSend(row: DamagedRow, formats: Record<string, WireFormat>, editedText: string | undefined): MessageBody {
  const stored = tryParseJson(row.message);
  let message: unknown = stored;
  if (editedText !== undefined && editedText.trim() !== '') {
    const edited = tryParseJson(editedText);
    if (edited === undefined) throw new InvalidMessageEditError('the edited message is not valid JSON');
    message = restoreMasked(stored, edited);
  } else if (stored === undefined) {
    throw new InvalidMessageEditError('the stored body is not JSON: edit it into a JSON object first');
  }
  checkWireFormat(formats, row.originalQueue, message);
  return message as MessageBody;
}

/**
 * Pushes the row's (edited) message to its original queue, then deletes the row; audited. The row
 * is locked from the read to the delete, so that two operators resending it at once push it once:
 * the second finds it gone (RecordNotFoundError).
 */
export async function resendDamaged(
  deps: DamagedDeps,
  actor: Actor,
  formats: Record<string, WireFormat>,
  id: number,
  editedText?: string,
): Promise<{ id: number; queue: string; edited: boolean }> {
  const edited = editedText !== undefined && editedText.trim() !== '';
  return deps.db.transaction(async (tx) => {
    const row = await loadRow(tx, id, { lock: true });
    const message = messageToSend(row, formats, editedText);
    await queueProducer(deps.backend, row.originalQueue, deps.partitionSpecOf).push(message);
    await tx.delete(damaged).where(eq(damaged.id, id));
    await recordAudit(tx, actor, {
      action: edited ? 'damaged.edit-resend' : 'damaged.resend',
      target: `damaged:${id}`,
      before: auditState(row),
      after: { queue: row.originalQueue, message },
    });
    return { id, queue: row.originalQueue, edited };
  });
}

/** Deletes one row; the audit row keeps what it was (masked). */
export async function deleteDamaged(db: Db, actor: Actor, id: number): Promise<{ id: number }> {
  await db.transaction(async (tx) => {
    const row = await loadRow(tx, id, { lock: true });
    await tx.delete(damaged).where(eq(damaged.id, id));
    await recordAudit(tx, actor, { action: 'damaged.delete', target: `damaged:${id}`, before: auditState(row) });
  });
  return { id };
}

function auditState(row: DamagedRow): Record<string, unknown> {
  return { queue: row.originalQueue, error: row.error, damagedDate: row.damagedDate, message: tryParseJson(row.message) ?? row.message };
}

/** One row of a bulk plan: where it would go, or why it cannot. */
export interface BulkPlanRow {
  id: number;
  queue: string;
  orderId: string | null;
  ok: boolean;
  problem?: string;
}

export interface BulkPlan {
  rows: BulkPlanRow[];
  /** Per queue, how many rows would be pushed there. */
  byQueue: Record<string, number>;
  invalid: number;
  /** Rows matching the filter; more than `rows.length` when the limit cut the plan. */
  matching: number;
  /** Identifies exactly these rows: the execution must present it. */
  fingerprint: string;
}

/** What a bulk resend of `filter` would do (the first `limit` rows, oldest first); changes nothing. */
export async function planBulkResend(db: Db, formats: Record<string, WireFormat>, filter: DamagedFilter, limit: number): Promise<BulkPlan> {
  const where = whereOf(filter);
  const [rows, [totals]] = await Promise.all([
    db.select().from(damaged).where(where).orderBy(damaged.damagedDate, damaged.id).limit(limit),
    db.select({ total: count() }).from(damaged).where(where),
  ]);
  const planRows: BulkPlanRow[] = rows.map((row) => {
    try {
      messageToSend(row, formats, undefined);
      return { id: row.id, queue: row.originalQueue, orderId: row.orderId, ok: true };
    } catch (error) {
      if (!(error instanceof InvalidMessageEditError)) throw error;
      return { id: row.id, queue: row.originalQueue, orderId: row.orderId, ok: false, problem: error.message };
    }
  });
  const byQueue: Record<string, number> = {};
  for (const row of planRows) if (row.ok) byQueue[row.queue] = (byQueue[row.queue] ?? 0) + 1;
  const fingerprint = createHash('sha256')
    .update(planRows.map((r) => `${r.id}:${r.ok ? r.queue : '-'}`).join(','))
    .digest('hex')
    .slice(0, 16);
  return { rows: planRows, byQueue, invalid: planRows.filter((r) => !r.ok).length, matching: Number(totals?.total ?? 0), fingerprint };
}

/**
 * Resends the rows of the plan whose fingerprint the operator saw in the dry run; rows that
 * cannot be sent stay. Refuses (StaleDryRunError) when the filter now selects other rows.
 */
export async function executeBulkResend(
  deps: DamagedDeps,
  actor: Actor,
  formats: Record<string, WireFormat>,
  filter: DamagedFilter,
  limit: number,
  fingerprint: string,
): Promise<{ sent: number; skipped: number; byQueue: Record<string, number> }> {
  const plan = await planBulkResend(deps.db, formats, filter, limit);
  if (plan.fingerprint !== fingerprint) throw new StaleDryRunError('the rows matching this search changed since the dry run: run the dry run again');
  const ok = plan.rows.filter((r) => r.ok);
  let sent = 0;
  for (const row of ok) {
    // One transaction per row, as resendDamaged: the row locked while it is pushed, its delete and
    // its audit row together, so a crash part-way leaves the audit saying exactly which rows went.
    sent += await deps.db.transaction(async (tx) => {
      const [stored] = await tx.select().from(damaged).where(eq(damaged.id, row.id)).limit(1).for('update');
      if (!stored) return 0; // resent or deleted by someone else since the plan
      await queueProducer(deps.backend, stored.originalQueue, deps.partitionSpecOf).push(JSON.parse(stored.message) as MessageBody);
      await tx.delete(damaged).where(eq(damaged.id, row.id));
      await recordAudit(tx, actor, {
        action: 'damaged.bulk-resend',
        target: `damaged:${row.id}`,
        before: auditState(stored),
        after: { queue: stored.originalQueue, dryRun: fingerprint, search: filterToQuery(filter) },
      });
      return 1;
    });
  }
  return { sent, skipped: plan.invalid, byQueue: plan.byQueue };
}

/** Rows matching `filter` (newest first, at most `limit`), masked, as a download. */
export async function exportDamaged(db: Db, filter: DamagedFilter, limit: number): Promise<Array<Omit<DamagedSummary, 'error'> & { error: string; trace: string | null; message: unknown }>> {
  const rows = await db.select().from(damaged).where(whereOf(filter)).orderBy(desc(damaged.damagedDate), desc(damaged.id)).limit(limit);
  return rows.map((row) => ({
    ...summaryOf(row),
    error: redactText(row.error ?? ''),
    trace: row.trace === null ? null : redactText(row.trace),
    message: maskedValue(row.message),
  }));
}
