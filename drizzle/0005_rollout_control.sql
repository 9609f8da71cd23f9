CREATE TABLE `budgets` (
	`name` text PRIMARY KEY NOT NULL,
	`tags` text NOT NULL,
	`max_unavailable` text NOT NULL,
	`updated_at` integer NOT NULL,
	`updated_by` text NOT NULL
);
--> statement-breakpoint
CREATE TABLE `freeze` (
	`id` integer PRIMARY KEY NOT NULL,
	`reason` text NOT NULL,
	`set_at` integer NOT NULL,
	`set_by` text NOT NULL
);
--> statement-breakpoint
CREATE TABLE `maintenance_windows` (
	`name` text PRIMARY KEY NOT NULL,
	`tags` text NOT NULL,
	`cron` text NOT NULL,
	`duration_minutes` integer NOT NULL,
	`timezone` text NOT NULL,
	`updated_at` integer NOT NULL,
	`updated_by` text NOT NULL
);
--> statement-breakpoint
ALTER TABLE `rollout_batches` ADD `soak_until` integer;--> statement-breakpoint
ALTER TABLE `rollout_machines` ADD `deploy_started_at` integer;--> statement-breakpoint
ALTER TABLE `rollout_machines` ADD `reverted_at` integer;--> statement-breakpoint
ALTER TABLE `rollouts` ADD `soak_seconds` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `rollouts` ADD `batch_soak_seconds` text;--> statement-breakpoint
ALTER TABLE `rollouts` ADD `min_decided` integer;--> statement-breakpoint
ALTER TABLE `rollouts` ADD `max_in_flight` text;--> statement-breakpoint
ALTER TABLE `rollouts` ADD `not_before` integer;--> statement-breakpoint
ALTER TABLE `rollouts` ADD `offline_after_seconds` integer;--> statement-breakpoint
ALTER TABLE `rollouts` ADD `supersede` integer DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE `rollouts` ADD `pause_reason` text;--> statement-breakpoint
ALTER TABLE `rollouts` ADD `revert_pending` integer DEFAULT false NOT NULL;--> statement-breakpoint
-- Rollouts written before this migration: a machine of a started batch has been given its desired
-- generation when the batch started (that marks what an abort reverts); undecided ones deploy.
UPDATE `rollout_machines` SET `deploy_started_at` = (
  SELECT b.`started_at` FROM `rollout_batches` b
  WHERE b.`rollout_id` = `rollout_machines`.`rollout_id` AND b.`batch_index` = `rollout_machines`.`batch_index`)
WHERE `store_path` IS NOT NULL;--> statement-breakpoint
UPDATE `rollout_machines` SET `health` = 'deploying'
WHERE `health` = 'pending' AND `deploy_started_at` IS NOT NULL AND EXISTS (
  SELECT 1 FROM `rollout_batches` b
  WHERE b.`rollout_id` = `rollout_machines`.`rollout_id` AND b.`batch_index` = `rollout_machines`.`batch_index`
    AND b.`status` = 'waiting_health');--> statement-breakpoint
-- A failed rollout of v0.1 has already reverted its machines.
UPDATE `rollout_machines` SET `reverted_at` = (SELECT r.`updated_at` FROM `rollouts` r WHERE r.`id` = `rollout_machines`.`rollout_id`)
WHERE `deploy_started_at` IS NOT NULL
  AND EXISTS (SELECT 1 FROM `rollouts` r WHERE r.`id` = `rollout_machines`.`rollout_id` AND r.`status` = 'failed');
