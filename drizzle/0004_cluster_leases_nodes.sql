CREATE TABLE `cluster_nodes` (
	`node_id` text PRIMARY KEY NOT NULL,
	`address` text,
	`version` text NOT NULL,
	`eligible` integer NOT NULL,
	`started_at` integer NOT NULL,
	`last_seen_at` integer NOT NULL,
	`expires_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `leases` (
	`name` text PRIMARY KEY NOT NULL,
	`holder` text,
	`token` integer NOT NULL,
	`acquired_at` integer NOT NULL,
	`expires_at` integer NOT NULL
);
