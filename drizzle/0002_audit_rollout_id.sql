ALTER TABLE `audit_events` ADD `rollout_id` text;--> statement-breakpoint
CREATE INDEX `audit_rollout_idx` ON `audit_events` (`rollout_id`,`id`);--> statement-breakpoint
-- Events written before this column existed: a rollout's own transitions name it as their target.
UPDATE `audit_events` SET `rollout_id` = `target` WHERE `action` LIKE 'rollout.%' OR `action` LIKE 'batch.%';
