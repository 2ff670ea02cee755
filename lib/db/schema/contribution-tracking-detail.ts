import { bigint, char, datetime, decimal, index, mysqlTable, tinyint, varchar } from 'drizzle-orm/mysql-core';

/**
 * The second summary of the tracking event log, shaped like the CRM's newer tracking table: the
 * columns people query (amount and currency, dollars, recurring, gateway, appeal, form variant,
 * banner details, landing page, payment method, device and browser, mailing identifier, a real
 * datetime). Derived from the event log by the same merge as `contribution_tracking`
 * (lib/tracking/detail.ts) and rebuilt from it, so a later column needs no migration of history:
 * add it here and run `npm run tracking:rebuild`.
 */
export const contributionTrackingDetail = mysqlTable(
  'contribution_tracking_detail',
  {
    id: bigint('id', { mode: 'number', unsigned: true }).primaryKey(),
    /** Unique in contribution_tracking, which the consumer checks; only indexed here. */
    contributionId: bigint('contribution_id', { mode: 'number', unsigned: true }),
    amount: decimal('amount', { precision: 20, scale: 2 }),
    currency: char('currency', { length: 3 }),
    usdAmount: decimal('usd_amount', { precision: 20, scale: 2 }),
    isRecurring: tinyint('is_recurring'),
    gateway: varchar('gateway', { length: 128 }),
    appeal: varchar('appeal', { length: 255 }),
    paymentsFormVariant: varchar('payments_form_variant', { length: 128 }),
    banner: varchar('banner', { length: 128 }),
    bannerVariant: varchar('banner_variant', { length: 128 }),
    /** large or small, from `_lg_` / `_sm_` in utm_source. */
    bannerSize: varchar('banner_size', { length: 8 }),
    /** 1 unless utm_source names the control banner (`_cnt_`). */
    isTestVariant: tinyint('is_test_variant'),
    landingPage: varchar('landing_page', { length: 128 }),
    paymentMethod: varchar('payment_method', { length: 128 }),
    paymentSubmethod: varchar('payment_submethod', { length: 128 }),
    language: varchar('language', { length: 8 }),
    country: char('country', { length: 2 }),
    /** The earliest ts of the id's events as a datetime (UTC); NULL when none carried one. */
    trackingDate: datetime('tracking_date', { mode: 'string' }),
    /** desktop or mobile, from `_dsk_` / `_m_` in utm_source. */
    deviceType: varchar('device_type', { length: 8 }),
    browser: varchar('browser', { length: 128 }),
    browserVersion: varchar('browser_version', { length: 64 }),
    os: varchar('os', { length: 128 }),
    osVersion: varchar('os_version', { length: 64 }),
    /** 1 when utm_key says the donor was offered to cover the fee (`ptf_1`). */
    isPayFee: tinyint('is_pay_fee'),
    /** The email mailing of a utm_source starting with `sp`. */
    mailingIdentifier: varchar('mailing_identifier', { length: 16 }),
    utmSource: varchar('utm_source', { length: 128 }),
    utmMedium: varchar('utm_medium', { length: 128 }),
    utmCampaign: varchar('utm_campaign', { length: 128 }),
    utmKey: varchar('utm_key', { length: 128 }),
    referrer: varchar('referrer', { length: 4096 }),
  },
  (t) => [
    index('idx_ct_detail_tracking_date').on(t.trackingDate),
    index('idx_ct_detail_contribution_id').on(t.contributionId),
    index('idx_ct_detail_utm_campaign').on(t.utmCampaign),
    index('idx_ct_detail_banner').on(t.banner),
    index('idx_ct_detail_mailing_identifier').on(t.mailingIdentifier),
  ],
);

export type ContributionTrackingDetailRow = typeof contributionTrackingDetail.$inferSelect;
