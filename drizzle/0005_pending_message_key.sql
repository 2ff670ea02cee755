ALTER TABLE `pending` ADD `message_key` char(64);--> statement-breakpoint
ALTER TABLE `pending` ADD CONSTRAINT `uniq_pending_message_key` UNIQUE(`message_key`);