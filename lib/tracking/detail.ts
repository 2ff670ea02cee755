/**
 * `contribution_tracking_detail` (lib/db/schema/contribution-tracking-detail.ts): the merged
 * summary of an id (merge.ts) spelled out in the CRM's newer columns. Every column is a function
 * of the merged fields and the rates table, so the consumer and the rebuild write the same row.
 *
 * Fields the newer frontend sends win over what the legacy fields imply: `amount` + `currency`
 * over `form_amount`, `gateway` and `payments_form_variant` over `payments_form`
 * (`<gateway>.v=<variant>`), `payment_method` over the third part of utm_source. The banner
 * details read utm_source the way the CRM does (`<banner>.<landing page>.<payment method>`, the
 * banner's second `_` part its variant, `_dsk_`/`_m_`, `_lg_`/`_sm_`, `_cnt_` the control).
 */
import { getTableColumns } from 'drizzle-orm';
import { bulkInsert, columnName } from '../db/bulk-insert';
import type { Transaction } from '../db/transaction';
import { contributionTrackingDetail, type ContributionTrackingDetailRow } from '../db/schema';
import { truncateChars } from '../truncate';
import { isReadableAmount, parseFormAmount, readNewerAmount, roundToCents } from './amount';
import type { RateTable } from './exchange-rates';
import type { TrackingSummary } from './merge';
import { usdAmountOf, type PricedAmount } from './usd-amount';

export type DetailRow = ContributionTrackingDetailRow;
type DetailKey = keyof DetailRow;

const detailColumns = getTableColumns(contributionTrackingDetail);

/** Declared length of each text column of the detail table, from the schema. */
const LIMITS = Object.fromEntries(
  Object.entries(detailColumns).flatMap(([key, column]) => {
    const length = (column as { length?: unknown }).length;
    return typeof length === 'number' ? [[key, length]] : [];
  }),
) as Partial<Record<DetailKey, number>>;

/** The amount the detail row shows, and the event moment whose rate converts it. */
export function detailAmountOf(summary: TrackingSummary): PricedAmount | undefined {
  const { fields, setAt, setBy } = summary;
  const newer = readNewerAmount(fields.amount, fields.currency);
  if (newer) {
    const later = (setAt.amount ?? '') > (setAt.currency ?? '') ? 'amount' : 'currency';
    return { trackingId: summary.id, eventId: setBy[later] ?? 0, money: newer, ts: setAt[later] ?? summary.ts };
  }
  if (fields.form_amount === undefined) return undefined;
  const money = parseFormAmount(fields.form_amount);
  if (!money || !isReadableAmount(money.amount)) return undefined;
  return { trackingId: summary.id, eventId: setBy.form_amount ?? 0, money, ts: setAt.form_amount ?? summary.ts };
}

/** `YYYYmmddHHMMSS` as the datetime column's `YYYY-MM-DD HH:MM:SS`. */
function datetimeOf(ts: string): string {
  return `${ts.slice(0, 4)}-${ts.slice(4, 6)}-${ts.slice(6, 8)} ${ts.slice(8, 10)}:${ts.slice(10, 12)}:${ts.slice(12, 14)}`;
}

/** The CRM's mailing identifier convention: utm_source of an email names its mailing. */
function mailingIdentifierOf(utmSource: string): string | null {
  if (utmSource.startsWith('sp')) return utmSource.slice(0, 10);
  if (utmSource.startsWith('70761231.d')) return 'sp70761231';
  return null;
}

/** The detail row of a merged summary; `rates` converts its amount. */
export function toDetailRow(summary: TrackingSummary, rates: RateTable): DetailRow {
  const f = summary.fields;
  const amount = detailAmountOf(summary);
  const money = amount && typeof amount.money !== 'string' ? amount.money : undefined;
  const source = f.utm_source ?? null;
  const parts = source ? source.split('.') : [];
  const mailing = source ? mailingIdentifierOf(source) : null;
  const banner = source && !mailing && parts[0] ? parts[0] : null;
  const form = f.payments_form;
  const row: DetailRow = {
    id: summary.id,
    contributionId: f.contribution_id ?? null,
    amount: money ? roundToCents(money.amount) : null,
    currency: money?.currency ?? null,
    // Warnings about unconvertible amounts come from contribution_tracking's usd_amount (usd-amount.ts), once.
    usdAmount: amount ? usdAmountOf(amount, rates, []) : null,
    isRecurring: f.is_recurring ?? null,
    gateway: f.gateway ?? (form ? form.split('.')[0] || null : null),
    appeal: f.appeal ?? null,
    paymentsFormVariant: f.payments_form_variant ?? (form ? (/(?:^|\.)v=([^.]+)/.exec(form)?.[1] ?? null) : null),
    banner,
    bannerVariant: banner ? (banner.split('_')[1] || null) : null,
    bannerSize: banner ? (source!.includes('_lg_') ? 'large' : source!.includes('_sm_') ? 'small' : null) : null,
    isTestVariant: source ? (source.includes('_cnt_') || source.includes('_cnt.') ? 0 : 1) : null,
    landingPage: parts[1] || null,
    paymentMethod: f.payment_method ?? (parts.length === 3 && parts[2] ? parts[2] : null),
    paymentSubmethod: f.payment_submethod ?? null,
    language: f.language ?? null,
    country: f.country ?? null,
    trackingDate: summary.ts === null ? null : datetimeOf(summary.ts),
    deviceType: banner ? (source!.includes('_dsk_') ? 'desktop' : source!.includes('_m_') ? 'mobile' : null) : null,
    browser: f.browser ?? null,
    browserVersion: f.browser_version ?? null,
    os: f.os ?? null,
    osVersion: f.os_version ?? null,
    isPayFee: f.utm_key !== undefined ? (f.utm_key.includes('ptf_1') ? 1 : 0) : null,
    mailingIdentifier: mailing,
    utmSource: source,
    utmMedium: f.utm_medium ?? null,
    utmCampaign: f.utm_campaign ?? null,
    utmKey: f.utm_key ?? null,
    referrer: f.referrer ?? null,
  };
  // Too long for its column: cut, like contribution_tracking (whose truncation warning covers the shared fields).
  for (const [key, limit] of Object.entries(LIMITS) as Array<[DetailKey, number]>) {
    const value = row[key];
    if (typeof value === 'string') (row as Record<DetailKey, unknown>)[key] = truncateChars(value, limit);
  }
  return row;
}

const DETAIL_KEYS = Object.keys(detailColumns) as DetailKey[];

/** The row is the log's, whole: every column is replaced (there are no rows from before the log). */
const UPSERT_DETAIL = bulkInsert(
  contributionTrackingDetail,
  DETAIL_KEYS,
  `ON DUPLICATE KEY UPDATE ${DETAIL_KEYS.filter((key) => key !== 'id')
    .map((key) => `${columnName(detailColumns[key])} = VALUES(${columnName(detailColumns[key])})`)
    .join(', ')}`,
);

/** Writes detail rows (ids ascending, as the legacy summary, so that concurrent writers lock alike). */
export async function writeDetails({ conn }: Transaction, rows: DetailRow[]): Promise<void> {
  if (rows.length === 0) return;
  const sorted = [...rows].sort((a, b) => a.id - b.id);
  await conn.query(UPSERT_DETAIL.statement, [UPSERT_DETAIL.values(sorted)]);
}

/** Whether a stored detail row equals the one the log gives (values compared as text, as decimals come back). */
export function detailMatches(expected: DetailRow, stored: DetailRow | undefined): boolean {
  if (!stored) return false;
  return DETAIL_KEYS.every((key) => {
    const a = expected[key];
    const b = stored[key];
    return a === null || b === null ? a === b : String(a) === String(b);
  });
}
