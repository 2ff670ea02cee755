import { bigint, char, decimal, index, mysqlTable, text, tinyint, varchar } from 'drizzle-orm/mysql-core';

/**
 * The legacy-compatible summary of a contribution's tracking data: one row per contribution
 * tracking id with its current state. Column names and lengths are what existing queries and
 * the CRM read; only the tracking consumer writes it. The secondary indexes are the legacy ones,
 * under their legacy names (the CRM's contribution_tracking.install), because analysts' queries
 * filter on these columns and some name the indexes in hints.
 */
export const contributionTracking = mysqlTable(
  'contribution_tracking',
  {
    id: bigint('id', { mode: 'number', unsigned: true }).primaryKey(),
    contributionId: bigint('contribution_id', { mode: 'number', unsigned: true }).unique('contribution_id'),
    formAmount: varchar('form_amount', { length: 20 }),
    usdAmount: decimal('usd_amount', { precision: 20, scale: 2 }),
    note: text('note'),
    referrer: varchar('referrer', { length: 4096 }),
    anonymous: tinyint('anonymous'),
    utmSource: varchar('utm_source', { length: 128 }),
    utmMedium: varchar('utm_medium', { length: 128 }),
    utmCampaign: varchar('utm_campaign', { length: 128 }),
    utmKey: varchar('utm_key', { length: 128 }),
    paymentsForm: varchar('payments_form', { length: 128 }),
    optout: tinyint('optout'),
    language: varchar('language', { length: 8 }),
    country: varchar('country', { length: 2 }),
    ts: char('ts', { length: 14 }),
  },
  (t) => [
    index('ts').on(t.ts),
    index('utm_source_id').on(t.utmSource),
    index('utm_medium_id').on(t.utmMedium),
    index('utm_campaign_id').on(t.utmCampaign),
    index('language').on(t.language),
  ],
);

export type ContributionTrackingRow = typeof contributionTracking.$inferSelect;
