-- Reports at scale (10 million events, 100k snippets): the host app's version on coverage
-- counts, a summary of where each field was last seen, the same per snippet for stale help,
-- and indexes for what a report's page looks up. (Ranking happens in the service, which keeps
-- closed days of `event_days` in memory.)

-- Coverage counts gain the host app's version ('' when the page gave none).
CREATE TABLE coverage_by_version (
    site_id     INTEGER NOT NULL REFERENCES sites (id) ON DELETE CASCADE,
    day         INTEGER NOT NULL,
    place       TEXT    NOT NULL,
    help_key    TEXT    NOT NULL,
    app_version TEXT    NOT NULL,
    seen        INTEGER NOT NULL,
    helped      INTEGER NOT NULL,
    PRIMARY KEY (site_id, day, place, help_key, app_version)
) STRICT, WITHOUT ROWID;
INSERT INTO coverage_by_version (site_id, day, place, help_key, app_version, seen, helped)
    SELECT site_id, day, place, help_key, '', seen, helped FROM coverage;
DROP TABLE coverage;
ALTER TABLE coverage_by_version RENAME TO coverage;

-- Per field (place and key) and app version: when pages first and last showed it; key '' is
-- the page as a whole, seen whenever any of its fields was. One row per field and version.
CREATE TABLE sightings (
    site_id     INTEGER NOT NULL REFERENCES sites (id) ON DELETE CASCADE,
    place       TEXT    NOT NULL,
    help_key    TEXT    NOT NULL,
    app_version TEXT    NOT NULL,
    first_day   INTEGER NOT NULL,
    last_day    INTEGER NOT NULL,
    seen        INTEGER NOT NULL,
    PRIMARY KEY (site_id, place, help_key, app_version)
) STRICT, WITHOUT ROWID;
CREATE INDEX sightings_by_key ON sightings (site_id, help_key);
INSERT INTO sightings (site_id, place, help_key, app_version, first_day, last_day, seen)
    SELECT site_id, place, help_key, '', MIN(day), MAX(day), SUM(seen) FROM coverage GROUP BY site_id, place, help_key;
INSERT INTO sightings (site_id, place, help_key, app_version, first_day, last_day, seen)
    SELECT site_id, place, '', '', MIN(day), MAX(day), SUM(seen) FROM coverage WHERE help_key != ''
    GROUP BY site_id, place
    ON CONFLICT (site_id, place, help_key, app_version) DO UPDATE SET first_day = MIN(first_day, excluded.first_day),
        last_day = MAX(last_day, excluded.last_day), seen = seen + excluded.seen;

-- The host app versions each site's pages reported, and when each was first and last seen.
CREATE TABLE seen_app_versions (
    site_id     INTEGER NOT NULL REFERENCES sites (id) ON DELETE CASCADE,
    app_version TEXT    NOT NULL,
    first_day   INTEGER NOT NULL,
    last_day    INTEGER NOT NULL,
    PRIMARY KEY (site_id, app_version)
) STRICT, WITHOUT ROWID;

-- The latest "not helpful" comments of a snippet, without scanning its other events.
CREATE INDEX events_unhelpful_comments ON events (site_id, snippet_id, id)
    WHERE kind = 'feedback' AND helpful = 0 AND comment IS NOT NULL;

-- A report's moment filter, without reading snippet bodies.
CREATE INDEX snippets_by_moment ON snippets (site_id, moment);

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
