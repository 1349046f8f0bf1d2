ALTER TABLE `scheduled_tasks` ADD `interval_ms` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `scheduled_tasks` ADD `time_zone` text DEFAULT '' NOT NULL;--> statement-breakpoint
ALTER TABLE `scheduled_tasks` ADD `timeout_ms` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `scheduled_tasks` ADD `backoff_initial_ms` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `scheduled_tasks` ADD `backoff_max_ms` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `scheduled_tasks` ADD `backoff_jitter` real DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `scheduled_tasks` ADD `missed_run_policy` text DEFAULT '' NOT NULL;--> statement-breakpoint
ALTER TABLE `scheduled_tasks` ADD `owner` text DEFAULT '' NOT NULL;--> statement-breakpoint
ALTER TABLE `scheduled_tasks` ADD `description` text DEFAULT '' NOT NULL;--> statement-breakpoint
ALTER TABLE `task_runs` ADD `run_id` text DEFAULT '' NOT NULL;--> statement-breakpoint
ALTER TABLE `task_runs` ADD `trigger` text DEFAULT '' NOT NULL;