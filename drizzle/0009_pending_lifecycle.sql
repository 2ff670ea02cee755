CREATE TABLE `pending_settled` (
	`id` bigint unsigned AUTO_INCREMENT NOT NULL,
	`gateway` varchar(255) NOT NULL,
	`order_id` varchar(255) NOT NULL,
	`settled_at` datetime NOT NULL,
	CONSTRAINT `pending_settled_id` PRIMARY KEY(`id`),
	CONSTRAINT `uniq_pending_settled_gateway_order_id` UNIQUE(`gateway`,`order_id`)
);
--> statement-breakpoint
CREATE TABLE `rectifier_leases` (
	`gateway` varchar(255) NOT NULL,
	`holder` char(36) NOT NULL,
	`expires_at` datetime NOT NULL,
	CONSTRAINT `rectifier_leases_gateway` PRIMARY KEY(`gateway`)
);
--> statement-breakpoint
ALTER TABLE `pending` ADD `message_key` char(64);--> statement-breakpoint
ALTER TABLE `pending` ADD CONSTRAINT `uniq_pending_message_key` UNIQUE(`message_key`);--> statement-breakpoint
CREATE INDEX `idx_pending_settled_settled_at` ON `pending_settled` (`settled_at`);