import { bigint, char, datetime, index, longtext, mysqlTable, uniqueIndex, varchar } from 'drizzle-orm/mysql-core';
import { sql } from 'drizzle-orm';

/**
 * The append-only event log of the contribution tracking buffer: every tracking message
 * received, verbatim. The summary in `contribution_tracking` is a function of this table (the
 * rebuild recomputes it), so it is never updated or deleted. A redelivered message has the same
 * content hash and is stored once.
 */
export const contributionTrackingEvent = mysqlTable(
  'contribution_tracking_event',
  {
    /** Arrival order: among messages with the same `ts`, the later received wins the merge. */
    id: bigint('id', { mode: 'number', unsigned: true }).autoincrement().primaryKey(),
    contributionTrackingId: bigint('contribution_tracking_id', { mode: 'number', unsigned: true }).notNull(),
    /**
     * The message's `ts` (YYYYmmddHHMMSS, UTC), else its `tracking_date` in that form; NULL when it
     * carried neither (the merge then places it by arrival, lib/tracking/merge.ts).
     */
    ts: char('ts', { length: 14 }),
    /** SHA-256 (hex) of the message's content without the queue's source_* fields. */
    messageHash: char('message_hash', { length: 64 }).notNull(),
    receivedAt: datetime('received_at', { mode: 'date', fsp: 3 }).notNull().default(sql`CURRENT_TIMESTAMP(3)`),
    /** The message body exactly as the queue delivered it, unknown fields included. */
    message: longtext('message').notNull(),
  },
  (t) => [
    uniqueIndex('uniq_contribution_tracking_event_hash').on(t.messageHash),
    index('idx_contribution_tracking_event_ct_id').on(t.contributionTrackingId, t.ts, t.id),
  ],
);

/**
 * The legacy split of `utm_source` (`<banner>.<landing page>.<payment method>`) per contribution
 * tracking id; a row exists only while the summary's utm_source has exactly two dots.
 */
export const contributionSource = mysqlTable(
  'contribution_source',
  {
    contributionTrackingId: bigint('contribution_tracking_id', { mode: 'number', unsigned: true }).primaryKey(),
    banner: varchar('banner', { length: 128 }),
    landingPage: varchar('landing_page', { length: 128 }),
    paymentMethod: varchar('payment_method', { length: 128 }),
  },
  (t) => [
    index('idx_contribution_source_banner').on(t.banner),
    index('idx_contribution_source_landing_page').on(t.landingPage),
    index('idx_contribution_source_payment_method').on(t.paymentMethod),
  ],
);

export type ContributionTrackingEventRow = typeof contributionTrackingEvent.$inferSelect;
export type ContributionSourceRow = typeof contributionSource.$inferSelect;
