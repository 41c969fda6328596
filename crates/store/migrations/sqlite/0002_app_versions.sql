-- Snippets may be limited to a range of the host app's versions (semver requirement text).
ALTER TABLE snippets ADD COLUMN app_versions TEXT;
