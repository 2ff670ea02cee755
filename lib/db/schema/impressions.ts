import { sql } from 'drizzle-orm';
import { bigint, datetime, double, index, int, mediumint, mysqlTable, primaryKey, smallint, timestamp, uniqueIndex, varbinary, varchar } from 'drizzle-orm/mysql-core';

/**
 * The impressions database that analysts query, column for column and index for index the
 * legacy one (the FundraisingStatistics database as the FRUEC loader creates it and as the
 * DjangoBannerStats production dump has it): `bannerimpressions`, `landingpageimpression_raw`, `donatewiki_unique`
 * and the `donatewiki_counts` view, the dimension tables `country` (with the English `country`
 * name), `language` (with the `language` name) and `project`. Types are the legacy ones:
 * `timestamp` TIMESTAMP (stored UTC; every session here runs in UTC), SMALLINT UNSIGNED
 * dimension ids, `count` MEDIUMINT. Only the banner impressions loader writes these tables.
 *
 * Deliberate differences, none visible to the legacy queries:
 * - the dimension ids and `count` are NOT NULL (legacy: DEFAULT NULL): a NULL id would make the
 *   cell's unique key useless, since NULLs never collide;
 * - the log-file era's bookkeeping columns (`file_id`, `squid_id`, `squid_sequence`,
 *   `processed`) are gone: the stored Kafka offsets replaced files;
 * - `bannerimpressions.estimated_count` is new (the estimate beside the legacy count).
 *
 * Every TIMESTAMP column has an explicit DEFAULT current_timestamp(), as the legacy ones did:
 * without one, MariaDB (explicit_defaults_for_timestamp off) would give the first TIMESTAMP
 * column ON UPDATE current_timestamp(), and each `count = count + n` would move the cell's minute.
 *
 * Views: `bannerimpressions_named`, `bannerimpressions_hourly` (drizzle/0004) and
 * `donatewiki_counts` (hand-written migrations).
 */

const legacyTimestamp = () => timestamp('timestamp', { mode: 'date' }).notNull().default(sql`current_timestamp()`);
const dimensionId = (name: string) => smallint(name, { unsigned: true }).notNull();

/** Country dimension: one row per ISO 3166-1 alpha-2 code (upper case), `XX` for unknown; `country` is its English name. */
export const country = mysqlTable('country', {
  id: smallint('id', { unsigned: true }).autoincrement().primaryKey(),
  country: varchar('country', { length: 128 }).notNull().default(''),
  isoCode: varchar('iso_code', { length: 8 }).notNull().unique('iso_code'),
});

/** Language dimension: codes as received (`other` groups the languages not broken out); `language` is the name. */
export const language = mysqlTable('language', {
  id: smallint('id', { unsigned: true }).autoincrement().primaryKey(),
  language: varchar('language', { length: 128 }).notNull().default(''),
  isoCode: varchar('iso_code', { length: 24 }).notNull().unique('iso_code'),
});

/** Project dimension: wiki database names such as `enwiki` (`other_project` groups the rest). */
export const project = mysqlTable('project', {
  id: smallint('id', { unsigned: true }).autoincrement().primaryKey(),
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
    id: int('id', { unsigned: true }).autoincrement().primaryKey(),
    timestamp: legacyTimestamp(),
    banner: varchar('banner', { length: 255 }).notNull().default(''),
    campaign: varchar('campaign', { length: 255 }).notNull().default(''),
    projectId: dimensionId('project_id'),
    languageId: dimensionId('language_id'),
    countryId: dimensionId('country_id'),
    count: mediumint('count').notNull().default(0),
    estimatedCount: double('estimated_count').notNull().default(0),
  },
  // The legacy key names: MySQL named each single-column key after its column.
  (t) => [
    uniqueIndex('timestamp').on(t.timestamp, t.banner, t.campaign, t.projectId, t.languageId, t.countryId),
    index('timestamp_2').on(t.timestamp),
    index('banner').on(t.banner),
    index('campaign').on(t.campaign),
    index('project_id').on(t.projectId),
    index('language_id').on(t.languageId),
    index('country_id').on(t.countryId),
  ],
);

/** One row per landing page view on donatewiki, at the second it happened. */
export const landingpageimpressionRaw = mysqlTable(
  'landingpageimpression_raw',
  {
    id: int('id', { unsigned: true }).autoincrement().primaryKey(),
    timestamp: legacyTimestamp(),
    utmSource: varchar('utm_source', { length: 255 }).notNull().default(''),
    utmCampaign: varchar('utm_campaign', { length: 255 }).notNull().default(''),
    utmMedium: varchar('utm_medium', { length: 255 }).notNull().default(''),
    utmKey: varchar('utm_key', { length: 128 }).notNull().default(''),
    landingpage: varchar('landingpage', { length: 255 }).notNull().default(''),
    projectId: dimensionId('project_id'),
    languageId: dimensionId('language_id'),
    countryId: dimensionId('country_id'),
  },
  (t) => [
    index('timestamp').on(t.timestamp),
    index('utm_source').on(t.utmSource),
    index('utm_campaign').on(t.utmCampaign),
    index('utm_medium').on(t.utmMedium),
    index('utm_key').on(t.utmKey),
    index('landingpage').on(t.landingpage),
    index('project_id').on(t.projectId),
    index('language_id').on(t.languageId),
    index('country_id').on(t.countryId),
  ],
);

/**
 * One row per (utm_source, contact_id): the donatewiki views of CRM contacts who followed a
 * link (an email's `contact_id` and `link_id`), the first view kept. The legacy loaders wrote
 * it for donatewiki views with a non-empty `contact_id`, ignoring a repeat (`ON DUPLICATE KEY
 * UPDATE link_id = link_id`). `contact_id` identifies a donor: it is never logged.
 */
export const donatewikiUnique = mysqlTable(
  'donatewiki_unique',
  {
    id: int('id', { unsigned: true }).autoincrement().primaryKey(),
    timestamp: legacyTimestamp(),
    utmSource: varchar('utm_source', { length: 255 }).notNull().default(''),
    utmCampaign: varchar('utm_campaign', { length: 255 }).notNull().default(''),
    contactId: varbinary('contact_id', { length: 255 }),
    linkId: varchar('link_id', { length: 128 }).notNull().default(''),
  },
  (t) => [uniqueIndex('utm_source').on(t.utmSource, t.contactId)],
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
export type DonatewikiUniqueRow = typeof donatewikiUnique.$inferSelect;
