-- Per snippet with targets: the last day pages showed any of its targets and the newest host
-- app version that showed one. Kept up to date when its targets change and when coverage
-- counters are written, so the stale help report reads only the stale rows instead of matching
-- every published snippet's targets against every field seen. Filled for existing snippets
-- when the store opens.
CREATE TABLE snippet_sightings (
    snippet_id     INTEGER PRIMARY KEY REFERENCES snippets (id) ON DELETE CASCADE,
    site_id        INTEGER NOT NULL,
    last_day       INTEGER,          -- NULL: never seen
    newest_version TEXT              -- NULL: never seen with a version
) STRICT;
CREATE INDEX snippet_sightings_by_day ON snippet_sightings (site_id, last_day);
CREATE INDEX snippet_sightings_by_version ON snippet_sightings (site_id, newest_version);
-- Which snippets a field, page or key pattern seen on a page concerns.
CREATE INDEX snippet_targets_by_value ON snippet_targets (value);
