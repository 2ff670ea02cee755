import { bigint, datetime, double, index, int, mysqlTable, primaryKey, uniqueIndex, varchar } from 'drizzle-orm/mysql-core';

/**
 * The impressions database that analysts query. Table and column names are the legacy ones
 * (`bannerimpressions`, `landingpageimpression_raw`, `country.iso_code`, ...), so existing
 * queries such as `SUM(count) ... GROUP BY DATE_FORMAT(timestamp, '%Y-%m-%d %H'), banner`
 * joined to `country` on `country_id` keep working unchanged. Only the banner impressions
 * loader writes these tables.
 *
 * Differences from the legacy tables, none visible to those queries: `timestamp` is a UTC
 * DATETIME instead of a TIMESTAMP, dimension ids are INT instead of SMALLINT (the legacy
 * ids were close to running out), the dimension ids and `count` are NOT NULL (NULL ids made
 * the unique key useless), and `file_id` is gone: the stored Kafka offsets replaced files.
 *
 * Two views (drizzle/0004_impressions_views.sql, hand-written) resolve the dimension ids:
 * `bannerimpressions_named` per minute and `bannerimpressions_hourly` per hour.
 */

/** Country dimension: one row per ISO 3166-1 alpha-2 code seen (upper case), `XX` for unknown. */
export const country = mysqlTable('country', {
  id: int('id', { unsigned: true }).autoincrement().primaryKey(),
  isoCode: varchar('iso_code', { length: 8 }).notNull().unique('iso_code'),
});

/** Language dimension: codes as received (`other` groups the languages not broken out). */
export const language = mysqlTable('language', {
  id: int('id', { unsigned: true }).autoincrement().primaryKey(),
  isoCode: varchar('iso_code', { length: 24 }).notNull().unique('iso_code'),
});

/** Project dimension: wiki database names such as `enwiki` (`other_project` groups the rest). */
export const project = mysqlTable('project', {
  id: int('id', { unsigned: true }).autoincrement().primaryKey(),
  project: varchar('project', { length: 128 }).notNull().unique('project'),
});

/**
 * Banner impressions per UTC minute and dimension cell; a cell is incremented, never rewritten.
 * `count` continues the legacy series: each counted event adds its topic's (or backfill file's)
 * sampling factor, 1 for the unsampled stream. `estimated_count` stands beside it and is never
 * mixed into it: each event adds 1 / its `impressionEventSampleRate`, an estimate of the real
 * impressions (docs/architecture.md §7.3).
 */
export const bannerimpressions = mysqlTable(
  'bannerimpressions',
  {
    id: bigint('id', { mode: 'number', unsigned: true }).autoincrement().primaryKey(),
    timestamp: datetime('timestamp', { mode: 'date' }).notNull(),
    banner: varchar('banner', { length: 255 }).notNull().default(''),
    campaign: varchar('campaign', { length: 255 }).notNull().default(''),
    projectId: int('project_id', { unsigned: true }).notNull(),
    languageId: int('language_id', { unsigned: true }).notNull(),
    countryId: int('country_id', { unsigned: true }).notNull(),
    count: int('count', { unsigned: true }).notNull().default(0),
    estimatedCount: double('estimated_count').notNull().default(0),
  },
  (t) => [
    uniqueIndex('uniq_bannerimpressions_cell').on(t.timestamp, t.banner, t.campaign, t.projectId, t.languageId, t.countryId),
    index('idx_bannerimpressions_banner').on(t.banner),
    index('idx_bannerimpressions_campaign').on(t.campaign),
    index('idx_bannerimpressions_country_id').on(t.countryId),
  ],
);

/** One row per landing page view on donatewiki, at the second it happened. */
export const landingpageimpressionRaw = mysqlTable(
  'landingpageimpression_raw',
  {
    id: bigint('id', { mode: 'number', unsigned: true }).autoincrement().primaryKey(),
    timestamp: datetime('timestamp', { mode: 'date' }).notNull(),
    utmSource: varchar('utm_source', { length: 255 }).notNull().default(''),
    utmCampaign: varchar('utm_campaign', { length: 255 }).notNull().default(''),
    utmMedium: varchar('utm_medium', { length: 255 }).notNull().default(''),
    utmKey: varchar('utm_key', { length: 128 }).notNull().default(''),
    landingpage: varchar('landingpage', { length: 255 }).notNull().default(''),
    projectId: int('project_id', { unsigned: true }).notNull(),
    languageId: int('language_id', { unsigned: true }).notNull(),
    countryId: int('country_id', { unsigned: true }).notNull(),
  },
  (t) => [
    index('idx_landingpageimpression_raw_timestamp').on(t.timestamp),
    index('idx_landingpageimpression_raw_utm_source').on(t.utmSource),
    index('idx_landingpageimpression_raw_utm_campaign').on(t.utmCampaign),
    index('idx_landingpageimpression_raw_landingpage').on(t.landingpage),
  ],
);

/**
 * Where each consumer of an impressions source has got to: the next offset to apply per
 * (consumer group, topic, partition). It is written in the same transaction as the counts
 * it covers, which is what makes loading effectively once. The counters record what those
 * offsets held (the legacy loader kept the same figures per log file).
 */
export const impressionsKafkaOffsets = mysqlTable(
  'impressions_kafka_offsets',
  {
    consumerGroup: varchar('consumer_group', { length: 191 }).notNull(),
    topic: varchar('topic', { length: 191 }).notNull(),
    partition: int('kafka_partition', { unsigned: true }).notNull(),
    /** Null until the first batch of the partition is applied: any start offset is then accepted. */
    nextOffset: bigint('next_offset', { mode: 'number', unsigned: true }),
    countedEvents: bigint('counted_events', { mode: 'number', unsigned: true }).notNull().default(0),
    ignoredEvents: bigint('ignored_events', { mode: 'number', unsigned: true }).notNull().default(0),
    invalidEvents: bigint('invalid_events', { mode: 'number', unsigned: true }).notNull().default(0),
    updatedAt: datetime('updated_at', { mode: 'date' }).notNull(),
  },
  (t) => [primaryKey({ name: 'impressions_kafka_offsets_pk', columns: [t.consumerGroup, t.topic, t.partition] })],
);

export type BannerImpressionRow = typeof bannerimpressions.$inferSelect;
export type LandingPageImpressionRow = typeof landingpageimpressionRaw.$inferSelect;
