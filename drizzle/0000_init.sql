CREATE TABLE `api_keys` (
	`id` text PRIMARY KEY NOT NULL,
	`name` text NOT NULL,
	`role` text NOT NULL,
	`key_hash` text NOT NULL,
	`created_at` integer NOT NULL,
	`expires_at` integer,
	`revoked_at` integer,
	`last_used_at` integer
);
--> statement-breakpoint
CREATE UNIQUE INDEX `api_keys_hash_idx` ON `api_keys` (`key_hash`);--> statement-breakpoint
CREATE TABLE `audit_events` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`timestamp` integer NOT NULL,
	`actor` text NOT NULL,
	`action` text NOT NULL,
	`target` text NOT NULL,
	`detail` text NOT NULL
);
--> statement-breakpoint
CREATE INDEX `audit_actor_idx` ON `audit_events` (`actor`,`id`);--> statement-breakpoint
CREATE INDEX `audit_action_idx` ON `audit_events` (`action`,`id`);--> statement-breakpoint
CREATE INDEX `audit_target_idx` ON `audit_events` (`target`,`id`);--> statement-breakpoint
CREATE TABLE `desired_generations` (
	`machine_id` text PRIMARY KEY NOT NULL,
	`store_path` text NOT NULL,
	`cache_url` text,
	`set_at` integer NOT NULL,
	`set_by` text NOT NULL
);
--> statement-breakpoint
CREATE TABLE `health_reports` (
	`id` integer PRIMARY KEY NOT NULL,
	`machine_id` text NOT NULL,
	`received_at` integer NOT NULL,
	`all_passed` integer NOT NULL,
	`results` text NOT NULL,
	`agent_timestamp` text NOT NULL
);
--> statement-breakpoint
CREATE INDEX `health_reports_received_idx` ON `health_reports` (`received_at`);--> statement-breakpoint
CREATE TABLE `machine_tags` (
	`machine_id` text NOT NULL,
	`tag` text NOT NULL,
	PRIMARY KEY(`machine_id`, `tag`)
);
--> statement-breakpoint
CREATE INDEX `machine_tags_tag_idx` ON `machine_tags` (`tag`);--> statement-breakpoint
CREATE TABLE `machines` (
	`machine_id` text PRIMARY KEY NOT NULL,
	`lifecycle` text NOT NULL,
	`registered_at` integer NOT NULL,
	`current_generation` text,
	`agent_version` text,
	`uptime_seconds` integer,
	`last_success` integer,
	`last_health_passed` integer,
	`last_report_at` integer,
	`last_report_timestamp` text,
	`latest_health_id` integer
);
--> statement-breakpoint
CREATE INDEX `machines_lifecycle_idx` ON `machines` (`lifecycle`);--> statement-breakpoint
CREATE TABLE `release_entries` (
	`release_id` text NOT NULL,
	`hostname` text NOT NULL,
	`store_path` text NOT NULL,
	`platform` text NOT NULL,
	`tags` text DEFAULT '[]' NOT NULL,
	PRIMARY KEY(`release_id`, `hostname`)
);
--> statement-breakpoint
CREATE INDEX `release_entries_hostname_idx` ON `release_entries` (`hostname`);--> statement-breakpoint
CREATE TABLE `releases` (
	`id` text PRIMARY KEY NOT NULL,
	`flake_ref` text,
	`flake_rev` text,
	`cache_url` text,
	`host_count` integer NOT NULL,
	`created_at` integer NOT NULL,
	`created_by` text NOT NULL
);
--> statement-breakpoint
CREATE INDEX `releases_created_idx` ON `releases` (`created_at`);--> statement-breakpoint
CREATE TABLE `reports` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`machine_id` text NOT NULL,
	`received_at` integer NOT NULL,
	`current_generation` text NOT NULL,
	`success` integer NOT NULL,
	`message` text NOT NULL,
	`agent_timestamp` text NOT NULL,
	`agent_version` text,
	`uptime_seconds` integer
);
--> statement-breakpoint
CREATE INDEX `reports_machine_received_idx` ON `reports` (`machine_id`,`received_at`);--> statement-breakpoint
CREATE INDEX `reports_received_idx` ON `reports` (`received_at`);--> statement-breakpoint
CREATE TABLE `rollout_batches` (
	`rollout_id` text NOT NULL,
	`batch_index` integer NOT NULL,
	`status` text NOT NULL,
	`started_at` integer,
	`completed_at` integer,
	PRIMARY KEY(`rollout_id`, `batch_index`)
);
--> statement-breakpoint
CREATE TABLE `rollout_events` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`rollout_id` text NOT NULL,
	`event_type` text NOT NULL,
	`detail` text NOT NULL,
	`actor` text NOT NULL,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `rollout_events_rollout_idx` ON `rollout_events` (`rollout_id`,`id`);--> statement-breakpoint
CREATE TABLE `rollout_machines` (
	`rollout_id` text NOT NULL,
	`batch_index` integer NOT NULL,
	`machine_id` text NOT NULL,
	`position` integer NOT NULL,
	`store_path` text,
	`previous_generation` text,
	`previous_cache_url` text,
	`health` text DEFAULT 'pending' NOT NULL,
	`health_reason` text,
	PRIMARY KEY(`rollout_id`, `machine_id`)
);
--> statement-breakpoint
CREATE INDEX `rollout_machines_batch_idx` ON `rollout_machines` (`rollout_id`,`batch_index`,`position`);--> statement-breakpoint
CREATE TABLE `rollouts` (
	`id` text PRIMARY KEY NOT NULL,
	`release_id` text NOT NULL,
	`strategy` text NOT NULL,
	`status` text NOT NULL,
	`on_failure` text NOT NULL,
	`failure_threshold` text NOT NULL,
	`health_timeout` integer NOT NULL,
	`cache_url` text,
	`target` text NOT NULL,
	`batch_sizes` text NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	`created_by` text NOT NULL
);
--> statement-breakpoint
CREATE INDEX `rollouts_status_idx` ON `rollouts` (`status`);--> statement-breakpoint
CREATE INDEX `rollouts_release_idx` ON `rollouts` (`release_id`);