CREATE TABLE `exchange_rate` (
	`currency` char(3) NOT NULL,
	`rate_date` date NOT NULL,
	`units_per_eur` decimal(24,10) NOT NULL,
	CONSTRAINT `exchange_rate_currency_date` PRIMARY KEY(`currency`,`rate_date`)
);
--> statement-breakpoint
CREATE TABLE `contribution_tracking_detail` (
	`id` bigint unsigned NOT NULL,
	`contribution_id` bigint unsigned,
	`amount` decimal(20,2),
	`currency` char(3),
	`usd_amount` decimal(20,2),
	`is_recurring` tinyint,
	`gateway` varchar(128),
	`appeal` varchar(255),
	`payments_form_variant` varchar(128),
	`banner` varchar(128),
	`banner_variant` varchar(128),
	`banner_size` varchar(8),
	`is_test_variant` tinyint,
	`landing_page` varchar(128),
	`payment_method` varchar(128),
	`payment_submethod` varchar(128),
	`language` varchar(8),
	`country` char(2),
	`tracking_date` datetime,
	`device_type` varchar(8),
	`browser` varchar(128),
	`browser_version` varchar(64),
	`os` varchar(128),
	`os_version` varchar(64),
	`is_pay_fee` tinyint,
	`mailing_identifier` varchar(16),
	`utm_source` varchar(128),
	`utm_medium` varchar(128),
	`utm_campaign` varchar(128),
	`utm_key` varchar(128),
	`referrer` varchar(4096),
	CONSTRAINT `contribution_tracking_detail_id` PRIMARY KEY(`id`)
);
--> statement-breakpoint
CREATE INDEX `idx_ct_detail_tracking_date` ON `contribution_tracking_detail` (`tracking_date`);--> statement-breakpoint
CREATE INDEX `idx_ct_detail_contribution_id` ON `contribution_tracking_detail` (`contribution_id`);--> statement-breakpoint
CREATE INDEX `idx_ct_detail_utm_campaign` ON `contribution_tracking_detail` (`utm_campaign`);--> statement-breakpoint
CREATE INDEX `idx_ct_detail_banner` ON `contribution_tracking_detail` (`banner`);--> statement-breakpoint
CREATE INDEX `idx_ct_detail_mailing_identifier` ON `contribution_tracking_detail` (`mailing_identifier`);--> statement-breakpoint
CREATE INDEX `ts` ON `contribution_tracking` (`ts`);--> statement-breakpoint
CREATE INDEX `utm_source_id` ON `contribution_tracking` (`utm_source`);--> statement-breakpoint
CREATE INDEX `utm_medium_id` ON `contribution_tracking` (`utm_medium`);--> statement-breakpoint
CREATE INDEX `utm_campaign_id` ON `contribution_tracking` (`utm_campaign`);--> statement-breakpoint
CREATE INDEX `language` ON `contribution_tracking` (`language`);