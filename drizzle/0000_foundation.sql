CREATE TABLE `contribution_tracking` (
	`id` bigint unsigned NOT NULL,
	`contribution_id` bigint unsigned,
	`form_amount` varchar(20),
	`usd_amount` decimal(20,2),
	`note` text,
	`referrer` varchar(4096),
	`anonymous` tinyint,
	`utm_source` varchar(128),
	`utm_medium` varchar(128),
	`utm_campaign` varchar(128),
	`utm_key` varchar(128),
	`payments_form` varchar(128),
	`optout` tinyint,
	`language` varchar(8),
	`country` varchar(2),
	`ts` char(14),
	CONSTRAINT `contribution_tracking_id` PRIMARY KEY(`id`),
	CONSTRAINT `contribution_id` UNIQUE(`contribution_id`)
);
--> statement-breakpoint
CREATE TABLE `damaged` (
	`id` bigint unsigned AUTO_INCREMENT NOT NULL,
	`original_date` datetime NOT NULL,
	`damaged_date` datetime NOT NULL,
	`retry_date` datetime,
	`original_queue` varchar(255) NOT NULL,
	`gateway` varchar(255),
	`order_id` varchar(255),
	`gateway_txn_id` varchar(255),
	`error` text,
	`trace` text,
	`message` longtext NOT NULL,
	CONSTRAINT `damaged_id` PRIMARY KEY(`id`)
);
--> statement-breakpoint
CREATE INDEX `idx_damaged_retry_date` ON `damaged` (`retry_date`);--> statement-breakpoint
CREATE INDEX `idx_damaged_original_queue` ON `damaged` (`original_queue`);--> statement-breakpoint
CREATE INDEX `idx_damaged_order_id_gateway` ON `damaged` (`order_id`,`gateway`);--> statement-breakpoint
CREATE INDEX `idx_damaged_gateway_txn_id_gateway` ON `damaged` (`gateway_txn_id`,`gateway`);