CREATE TABLE `payments_initial` (
	`id` bigint unsigned AUTO_INCREMENT NOT NULL,
	`contribution_tracking_id` bigint unsigned,
	`gateway` varchar(255) NOT NULL,
	`order_id` varchar(255) NOT NULL,
	`gateway_txn_id` varchar(255),
	`validation_action` varchar(16),
	`payments_final_status` varchar(16),
	`payment_method` varchar(16),
	`payment_submethod` varchar(32),
	`country` varchar(2),
	`amount` decimal(20,4),
	`currency` varchar(3),
	`server` varchar(64),
	`date` datetime NOT NULL,
	CONSTRAINT `payments_initial_id` PRIMARY KEY(`id`),
	CONSTRAINT `uniq_payments_initial_gateway_order_id` UNIQUE(`gateway`,`order_id`)
);
--> statement-breakpoint
CREATE TABLE `pending` (
	`id` bigint unsigned AUTO_INCREMENT NOT NULL,
	`date` datetime NOT NULL,
	`gateway` varchar(255) NOT NULL,
	`gateway_account` varchar(255),
	`order_id` varchar(255),
	`gateway_txn_id` varchar(255),
	`payment_method` varchar(16),
	`is_resolved` boolean NOT NULL DEFAULT false,
	`message` json NOT NULL,
	CONSTRAINT `pending_id` PRIMARY KEY(`id`)
);
--> statement-breakpoint
CREATE INDEX `idx_payments_initial_contribution_tracking_id` ON `payments_initial` (`contribution_tracking_id`);--> statement-breakpoint
CREATE INDEX `idx_payments_initial_date` ON `payments_initial` (`date`);--> statement-breakpoint
CREATE INDEX `idx_pending_date` ON `pending` (`date`);--> statement-breakpoint
CREATE INDEX `idx_pending_order_id_gateway` ON `pending` (`order_id`,`gateway`);--> statement-breakpoint
CREATE INDEX `idx_pending_gateway_txn_id_gateway` ON `pending` (`gateway_txn_id`,`gateway`);--> statement-breakpoint
CREATE INDEX `idx_pending_resolved_gateway_method_date` ON `pending` (`is_resolved`,`gateway`,`payment_method`,`date`);