-- Custom migration (drizzle-kit cannot express WITHOUT ROWID): machines and machine_tags are
-- rebuilt as tables clustered on their primary keys. A report looks its machine up by id and
-- rewrites the row, and reads the machine's tags: with a rowid the id lookup went through a
-- separate primary-key index first, one more B-tree descent per report.
CREATE TABLE `machines_clustered` (
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
) WITHOUT ROWID;
--> statement-breakpoint
INSERT INTO `machines_clustered` (`machine_id`, `lifecycle`, `registered_at`, `current_generation`, `agent_version`,
	`uptime_seconds`, `last_success`, `last_health_passed`, `last_report_at`, `last_report_timestamp`, `latest_health_id`)
SELECT `machine_id`, `lifecycle`, `registered_at`, `current_generation`, `agent_version`, `uptime_seconds`,
	`last_success`, `last_health_passed`, `last_report_at`, `last_report_timestamp`, `latest_health_id`
FROM `machines`;
--> statement-breakpoint
DROP TABLE `machines`;
--> statement-breakpoint
ALTER TABLE `machines_clustered` RENAME TO `machines`;
--> statement-breakpoint
CREATE INDEX `machines_lifecycle_idx` ON `machines` (`lifecycle`);
--> statement-breakpoint
CREATE TABLE `machine_tags_clustered` (
	`machine_id` text NOT NULL,
	`tag` text NOT NULL,
	PRIMARY KEY(`machine_id`, `tag`)
) WITHOUT ROWID;
--> statement-breakpoint
INSERT INTO `machine_tags_clustered` (`machine_id`, `tag`) SELECT `machine_id`, `tag` FROM `machine_tags`;
--> statement-breakpoint
DROP TABLE `machine_tags`;
--> statement-breakpoint
ALTER TABLE `machine_tags_clustered` RENAME TO `machine_tags`;
--> statement-breakpoint
CREATE INDEX `machine_tags_tag_idx` ON `machine_tags` (`tag`);
