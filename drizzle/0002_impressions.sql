CREATE TABLE `bannerimpressions` (
	`id` bigint unsigned AUTO_INCREMENT NOT NULL,
	`timestamp` datetime NOT NULL,
	`banner` varchar(255) NOT NULL DEFAULT '',
	`campaign` varchar(255) NOT NULL DEFAULT '',
	`project_id` int unsigned NOT NULL,
	`language_id` int unsigned NOT NULL,
	`country_id` int unsigned NOT NULL,
	`count` int unsigned NOT NULL DEFAULT 0,
	CONSTRAINT `bannerimpressions_id` PRIMARY KEY(`id`),
	CONSTRAINT `uniq_bannerimpressions_cell` UNIQUE(`timestamp`,`banner`,`campaign`,`project_id`,`language_id`,`country_id`)
);
--> statement-breakpoint
CREATE TABLE `country` (
	`id` int unsigned AUTO_INCREMENT NOT NULL,
	`iso_code` varchar(8) NOT NULL,
	CONSTRAINT `country_id` PRIMARY KEY(`id`),
	CONSTRAINT `iso_code` UNIQUE(`iso_code`)
);
--> statement-breakpoint
CREATE TABLE `impressions_kafka_offsets` (
	`consumer_group` varchar(191) NOT NULL,
	`topic` varchar(191) NOT NULL,
	`kafka_partition` int unsigned NOT NULL,
	`next_offset` bigint unsigned,
	`counted_events` bigint unsigned NOT NULL DEFAULT 0,
	`ignored_events` bigint unsigned NOT NULL DEFAULT 0,
	`invalid_events` bigint unsigned NOT NULL DEFAULT 0,
	`updated_at` datetime NOT NULL,
	CONSTRAINT `impressions_kafka_offsets_pk` PRIMARY KEY(`consumer_group`,`topic`,`kafka_partition`)
);
--> statement-breakpoint
CREATE TABLE `landingpageimpression_raw` (
	`id` bigint unsigned AUTO_INCREMENT NOT NULL,
	`timestamp` datetime NOT NULL,
	`utm_source` varchar(255) NOT NULL DEFAULT '',
	`utm_campaign` varchar(255) NOT NULL DEFAULT '',
	`utm_medium` varchar(255) NOT NULL DEFAULT '',
	`utm_key` varchar(128) NOT NULL DEFAULT '',
	`landingpage` varchar(255) NOT NULL DEFAULT '',
	`project_id` int unsigned NOT NULL,
	`language_id` int unsigned NOT NULL,
	`country_id` int unsigned NOT NULL,
	CONSTRAINT `landingpageimpression_raw_id` PRIMARY KEY(`id`)
);
--> statement-breakpoint
CREATE TABLE `language` (
	`id` int unsigned AUTO_INCREMENT NOT NULL,
	`iso_code` varchar(24) NOT NULL,
	CONSTRAINT `language_id` PRIMARY KEY(`id`),
	CONSTRAINT `iso_code` UNIQUE(`iso_code`)
);
--> statement-breakpoint
CREATE TABLE `project` (
	`id` int unsigned AUTO_INCREMENT NOT NULL,
	`project` varchar(128) NOT NULL,
	CONSTRAINT `project_id` PRIMARY KEY(`id`),
	CONSTRAINT `project` UNIQUE(`project`)
);
--> statement-breakpoint
CREATE INDEX `idx_bannerimpressions_banner` ON `bannerimpressions` (`banner`);--> statement-breakpoint
CREATE INDEX `idx_bannerimpressions_campaign` ON `bannerimpressions` (`campaign`);--> statement-breakpoint
CREATE INDEX `idx_bannerimpressions_country_id` ON `bannerimpressions` (`country_id`);--> statement-breakpoint
CREATE INDEX `idx_landingpageimpression_raw_timestamp` ON `landingpageimpression_raw` (`timestamp`);--> statement-breakpoint
CREATE INDEX `idx_landingpageimpression_raw_utm_source` ON `landingpageimpression_raw` (`utm_source`);--> statement-breakpoint
CREATE INDEX `idx_landingpageimpression_raw_utm_campaign` ON `landingpageimpression_raw` (`utm_campaign`);--> statement-breakpoint
CREATE INDEX `idx_landingpageimpression_raw_landingpage` ON `landingpageimpression_raw` (`landingpage`);