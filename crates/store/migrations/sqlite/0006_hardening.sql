-- Site settings carry a version, so two owners editing from stale reads cannot silently
-- overwrite each other (the admin API's ETag / If-Match). Events are deleted by age.
ALTER TABLE sites ADD COLUMN settings_version INTEGER NOT NULL DEFAULT 1;

-- Retention deletes events by age across sites.
CREATE INDEX events_by_time ON events (created_at);
