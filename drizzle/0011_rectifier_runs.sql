CREATE TABLE `rectifier_runs` (
	`id` bigint unsigned AUTO_INCREMENT NOT NULL,
	`gateway` varchar(255) NOT NULL,
	`source` varchar(16) NOT NULL,
	`started_at` datetime(3) NOT NULL,
	`finished_at` datetime(3) NOT NULL,
	`attempted` int unsigned NOT NULL,
	`rows_resolved` int unsigned NOT NULL,
	`outcomes` longtext NOT NULL,
	`processor_statuses` longtext NOT NULL,
	`stopped_because` varchar(32) NOT NULL,
	CONSTRAINT `rectifier_runs_id` PRIMARY KEY(`id`)
);
--> statement-breakpoint
CREATE INDEX `idx_rectifier_runs_gateway` ON `rectifier_runs` (`gateway`,`id`);