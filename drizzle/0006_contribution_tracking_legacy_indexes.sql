CREATE INDEX `ts` ON `contribution_tracking` (`ts`);--> statement-breakpoint
CREATE INDEX `utm_source_id` ON `contribution_tracking` (`utm_source`);--> statement-breakpoint
CREATE INDEX `utm_medium_id` ON `contribution_tracking` (`utm_medium`);--> statement-breakpoint
CREATE INDEX `utm_campaign_id` ON `contribution_tracking` (`utm_campaign`);--> statement-breakpoint
CREATE INDEX `language` ON `contribution_tracking` (`language`);