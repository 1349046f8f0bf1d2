CREATE TABLE `models` (
	`id` text PRIMARY KEY NOT NULL,
	`entry` blob NOT NULL,
	`updated_at` integer NOT NULL
);
