CREATE TABLE `contribution_source` (
	`contribution_tracking_id` bigint unsigned NOT NULL,
	`banner` varchar(128),
	`landing_page` varchar(128),
	`payment_method` varchar(128),
	CONSTRAINT `contribution_source_contribution_tracking_id` PRIMARY KEY(`contribution_tracking_id`)
);
--> statement-breakpoint
CREATE TABLE `contribution_tracking_event` (
	`id` bigint unsigned AUTO_INCREMENT NOT NULL,
	`contribution_tracking_id` bigint unsigned NOT NULL,
	`ts` char(14) NOT NULL,
	`message_hash` char(64) NOT NULL,
	`received_at` datetime(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
	`message` longtext NOT NULL,
	CONSTRAINT `contribution_tracking_event_id` PRIMARY KEY(`id`),
	CONSTRAINT `uniq_contribution_tracking_event_hash` UNIQUE(`message_hash`)
);
--> statement-breakpoint
CREATE INDEX `idx_contribution_source_banner` ON `contribution_source` (`banner`);--> statement-breakpoint
CREATE INDEX `idx_contribution_source_landing_page` ON `contribution_source` (`landing_page`);--> statement-breakpoint
CREATE INDEX `idx_contribution_source_payment_method` ON `contribution_source` (`payment_method`);--> statement-breakpoint
CREATE INDEX `idx_contribution_tracking_event_ct_id` ON `contribution_tracking_event` (`contribution_tracking_id`,`ts`,`id`);