-- Events say more about where help was wanted: the worker's roles and app version, where a
-- snippet was opened from, and whether the context had specific help (not only site-wide).
-- `route` now holds the place template: the app's route, else the URL pattern that matched.
ALTER TABLE events ADD COLUMN roles TEXT;
ALTER TABLE events ADD COLUMN app_version TEXT;
ALTER TABLE events ADD COLUMN via TEXT;
ALTER TABLE events ADD COLUMN specific INTEGER;

-- Daily rollups, written with the events in one transaction, so reports never scan raw
-- events and outlive their retention. Absent values are '' (or -1 for the snippet and flags).
CREATE TABLE event_days (
    site_id     INTEGER NOT NULL REFERENCES sites (id) ON DELETE CASCADE,
    day         INTEGER NOT NULL,
    kind        TEXT    NOT NULL,
    place       TEXT    NOT NULL,
    help_key    TEXT    NOT NULL,
    roles       TEXT    NOT NULL,
    locale      TEXT    NOT NULL,
    app_version TEXT    NOT NULL,
    snippet_id  INTEGER NOT NULL,
    via         TEXT    NOT NULL,
    helpful     INTEGER NOT NULL,       -- 1, 0, or -1 when not a rating
    specific    INTEGER NOT NULL,       -- 1, 0, or -1 when not known
    count       INTEGER NOT NULL,
    PRIMARY KEY (site_id, day, kind, place, help_key, roles, locale, app_version, snippet_id, via, helpful, specific)
) STRICT, WITHOUT ROWID;

-- Searches by normalized words per day: how many, how many found nothing, how many led to a view.
CREATE TABLE search_days (
    site_id  INTEGER NOT NULL REFERENCES sites (id) ON DELETE CASCADE,
    day      INTEGER NOT NULL,
    query    TEXT    NOT NULL,
    searches INTEGER NOT NULL,
    empty    INTEGER NOT NULL,
    viewed   INTEGER NOT NULL,
    PRIMARY KEY (site_id, day, query)
) STRICT, WITHOUT ROWID;
