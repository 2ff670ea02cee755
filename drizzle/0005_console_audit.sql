CREATE TABLE `console_audit` (
	`id` bigint unsigned AUTO_INCREMENT NOT NULL,
	`at` datetime(3) NOT NULL,
	`actor` varchar(255) NOT NULL,
	`via` varchar(16) NOT NULL,
	`action` varchar(64) NOT NULL,
	`target` varchar(1024) NOT NULL,
	`before` longtext,
	`after` longtext,
	CONSTRAINT `console_audit_id` PRIMARY KEY(`id`)
);
--> statement-breakpoint
CREATE INDEX `idx_console_audit_at` ON `console_audit` (`at`);--> statement-breakpoint
CREATE INDEX `idx_console_audit_action` ON `console_audit` (`action`,`at`);