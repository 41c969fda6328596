-- Reports at scale (10 million events, 100k snippets): narrow daily rollups that the reports
-- without filters read instead of the wide `event_days` (which stays for filtered reports), the
-- host app's version on coverage counts, and a summary of where each field was last seen.

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
-- the page as a whole, seen whenever any of its fields was. Small (one row per field and version), so stale help
-- and "vanished in version X" never scan the daily counts.
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
-- Published snippets of a site without reading their bodies.
CREATE INDEX snippets_by_status ON snippets (site_id, status);

-- The host app versions each site's pages reported, and when each was first and last seen.
CREATE TABLE seen_app_versions (
    site_id     INTEGER NOT NULL REFERENCES sites (id) ON DELETE CASCADE,
    app_version TEXT    NOT NULL,
    first_day   INTEGER NOT NULL,
    last_day    INTEGER NOT NULL,
    PRIMARY KEY (site_id, app_version)
) STRICT, WITHOUT ROWID;

-- Per snippet and day: views by where they were opened from, and ratings.
CREATE TABLE snippet_days (
    site_id     INTEGER NOT NULL REFERENCES sites (id) ON DELETE CASCADE,
    day         INTEGER NOT NULL,
    snippet_id  INTEGER NOT NULL,
    views       INTEGER NOT NULL,
    panel       INTEGER NOT NULL,
    hotspot     INTEGER NOT NULL,
    search      INTEGER NOT NULL,
    page        INTEGER NOT NULL,
    helpful     INTEGER NOT NULL,
    not_helpful INTEGER NOT NULL,
    PRIMARY KEY (site_id, day, snippet_id)
) STRICT, WITHOUT ROWID;
INSERT INTO snippet_days (site_id, day, snippet_id, views, panel, hotspot, search, page, helpful, not_helpful)
    SELECT site_id, day, snippet_id,
        SUM(CASE WHEN kind = 'snippet_view' THEN count ELSE 0 END),
        SUM(CASE WHEN kind = 'snippet_view' AND via NOT IN ('hotspot', 'search', 'page') THEN count ELSE 0 END),
        SUM(CASE WHEN kind = 'snippet_view' AND via = 'hotspot' THEN count ELSE 0 END),
        SUM(CASE WHEN kind = 'snippet_view' AND via = 'search' THEN count ELSE 0 END),
        SUM(CASE WHEN kind = 'snippet_view' AND via = 'page' THEN count ELSE 0 END),
        SUM(CASE WHEN kind = 'feedback' AND helpful = 1 THEN count ELSE 0 END),
        SUM(CASE WHEN kind = 'feedback' AND helpful = 0 THEN count ELSE 0 END)
    FROM event_days WHERE snippet_id >= 0 AND kind IN ('snippet_view', 'feedback')
    GROUP BY site_id, day, snippet_id;

-- Per place, key, roles and day: panel opens (and those without specific help) and views.
CREATE TABLE place_days (
    site_id            INTEGER NOT NULL REFERENCES sites (id) ON DELETE CASCADE,
    day                INTEGER NOT NULL,
    place              TEXT    NOT NULL,
    help_key           TEXT    NOT NULL,
    roles              TEXT    NOT NULL,
    opens              INTEGER NOT NULL,
    opens_without_help INTEGER NOT NULL,
    views              INTEGER NOT NULL,
    PRIMARY KEY (site_id, day, place, help_key, roles)
) STRICT, WITHOUT ROWID;
INSERT INTO place_days (site_id, day, place, help_key, roles, opens, opens_without_help, views)
    SELECT site_id, day, place, help_key, roles,
        SUM(CASE WHEN kind = 'panel_open' THEN count ELSE 0 END),
        SUM(CASE WHEN kind = 'panel_open' AND specific = 0 THEN count ELSE 0 END),
        SUM(CASE WHEN kind = 'snippet_view' THEN count ELSE 0 END)
    FROM event_days WHERE kind IN ('panel_open', 'snippet_view')
    GROUP BY site_id, day, place, help_key, roles;

-- The latest "not helpful" comments of a snippet, without scanning its other events.
CREATE INDEX events_unhelpful_comments ON events (site_id, snippet_id, id)
    WHERE kind = 'feedback' AND helpful = 0 AND comment IS NOT NULL;
