ALTER TABLE `events` ADD `user_id` text DEFAULT '' NOT NULL;--> statement-breakpoint
ALTER TABLE `events` ADD `payload_bytes` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `events` ADD `recorded` integer DEFAULT false NOT NULL;--> statement-breakpoint
-- Existing rows: their payload size, kept before any payload is dropped.
UPDATE `events` SET `payload_bytes` = length(`payload`);--> statement-breakpoint
-- Bus history recorded before this migration kept payloads, among them what people said. Rows on the event topics
-- the recorder subscribed to (every event topic of the registry; nothing appended explicitly on them) become
-- metadata only, like everything recorded from now on.
UPDATE `events` SET `recorded` = 1, `payload` = x'' WHERE `topic` IN ('conversation.message.received', 'ui.avatar.speak', 'ui.activity.reported', 'ui.state.changed', 'privacy.consent.changed', 'jobs.job.admitted', 'jobs.job.cancelled', 'jobs.job.finished', 'jobs.job.paused', 'jobs.job.queued', 'jobs.job.resumed', 'jobs.queue.changed', 'scheduler.health.summary', 'scheduler.run.finished', 'scheduler.task.dead_lettered', 'security.keys.locked', 'security.keys.password.changed', 'security.keys.rotated', 'security.keys.unlocked', 'storage.backup.progress', 'storage.database.rekeyed', 'system.health.heartbeat', 'system.resources.sample', 'system.resources.state', 'system.resources.status', 'system.service.ready', 'system.service.shutdown', 'system.service.stopping', 'system.supervisor.app_changed');
