CREATE TABLE `consent_records` (
	`id` text PRIMARY KEY NOT NULL,
	`user_id` text NOT NULL,
	`purpose` text NOT NULL,
	`granted` integer NOT NULL,
	`recorded_at` integer NOT NULL,
	`source` text DEFAULT '' NOT NULL,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `consent_user_purpose` ON `consent_records` (`user_id`,`purpose`,`recorded_at`);--> statement-breakpoint
CREATE TABLE `events` (
	`sequence` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`topic` text NOT NULL,
	`source` text NOT NULL,
	`message_id` text NOT NULL,
	`time` integer NOT NULL,
	`correlation_id` text DEFAULT '' NOT NULL,
	`payload` blob NOT NULL
);
--> statement-breakpoint
CREATE INDEX `events_topic_sequence` ON `events` (`topic`,`sequence`);--> statement-breakpoint
CREATE INDEX `events_message_id` ON `events` (`message_id`);--> statement-breakpoint
CREATE INDEX `events_time` ON `events` (`time`);--> statement-breakpoint
CREATE TABLE `jobs` (
	`id` text PRIMARY KEY NOT NULL,
	`kind` text NOT NULL,
	`status` text NOT NULL,
	`priority` integer DEFAULT 0 NOT NULL,
	`payload` blob DEFAULT x'' NOT NULL,
	`owner` text DEFAULT '' NOT NULL,
	`created_at` integer NOT NULL,
	`started_at` integer,
	`finished_at` integer,
	`error` text DEFAULT '' NOT NULL
);
--> statement-breakpoint
CREATE INDEX `jobs_status` ON `jobs` (`status`,`priority`);--> statement-breakpoint
CREATE TABLE `logs` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`time` integer NOT NULL,
	`level` integer NOT NULL,
	`service` text NOT NULL,
	`instance_id` text DEFAULT '' NOT NULL,
	`context` text DEFAULT '' NOT NULL,
	`message` text NOT NULL,
	`correlation_id` text DEFAULT '' NOT NULL,
	`fields_json` text DEFAULT '' NOT NULL
);
--> statement-breakpoint
CREATE INDEX `logs_time` ON `logs` (`time`);--> statement-breakpoint
CREATE INDEX `logs_service_time` ON `logs` (`service`,`time`);--> statement-breakpoint
CREATE INDEX `logs_correlation` ON `logs` (`correlation_id`);--> statement-breakpoint
CREATE TABLE `scheduled_tasks` (
	`id` text PRIMARY KEY NOT NULL,
	`schedule` text NOT NULL,
	`enabled` integer DEFAULT true NOT NULL,
	`topic` text NOT NULL,
	`payload` blob DEFAULT x'' NOT NULL,
	`max_attempts` integer DEFAULT 1 NOT NULL,
	`next_run_at` integer,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `sessions` (
	`id` text PRIMARY KEY NOT NULL,
	`user_id` text NOT NULL,
	`token_hash` text NOT NULL,
	`client` text DEFAULT '' NOT NULL,
	`created_at` integer NOT NULL,
	`expires_at` integer NOT NULL,
	`revoked_at` integer,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `sessions_token_hash_unique` ON `sessions` (`token_hash`);--> statement-breakpoint
CREATE INDEX `sessions_user` ON `sessions` (`user_id`);--> statement-breakpoint
CREATE TABLE `settings` (
	`id` text PRIMARY KEY NOT NULL,
	`value_json` text NOT NULL,
	`updated_at` integer NOT NULL,
	`updated_by` text NOT NULL
);
--> statement-breakpoint
CREATE TABLE `state` (
	`namespace` text NOT NULL,
	`key` text NOT NULL,
	`value` blob NOT NULL,
	`version` integer NOT NULL,
	`updated_at` integer NOT NULL,
	`updated_by` text NOT NULL,
	PRIMARY KEY(`namespace`, `key`)
);
--> statement-breakpoint
CREATE TABLE `task_runs` (
	`id` text PRIMARY KEY NOT NULL,
	`task_id` text NOT NULL,
	`attempt` integer DEFAULT 1 NOT NULL,
	`status` text NOT NULL,
	`scheduled_for` integer,
	`started_at` integer,
	`finished_at` integer,
	`error` text DEFAULT '' NOT NULL
);
--> statement-breakpoint
CREATE INDEX `task_runs_task` ON `task_runs` (`task_id`,`id`);--> statement-breakpoint
CREATE TABLE `users` (
	`id` text PRIMARY KEY NOT NULL,
	`username` text NOT NULL,
	`display_name` text DEFAULT '' NOT NULL,
	`role` text NOT NULL,
	`password_hash` text DEFAULT '' NOT NULL,
	`disabled` integer DEFAULT false NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `users_username_unique` ON `users` (`username`);--> statement-breakpoint
CREATE TABLE `write_receipts` (
	`key` text PRIMARY KEY NOT NULL,
	`topic` text NOT NULL,
	`response` blob NOT NULL,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `write_receipts_created` ON `write_receipts` (`created_at`);