CREATE TABLE `pending_settled` (
	`id` bigint unsigned AUTO_INCREMENT NOT NULL,
	`gateway` varchar(255) NOT NULL,
	`order_id` varchar(255) NOT NULL,
	`settled_at` datetime NOT NULL,
	CONSTRAINT `pending_settled_id` PRIMARY KEY(`id`),
	CONSTRAINT `uniq_pending_settled_gateway_order_id` UNIQUE(`gateway`,`order_id`)
);
--> statement-breakpoint
CREATE INDEX `idx_pending_settled_settled_at` ON `pending_settled` (`settled_at`);