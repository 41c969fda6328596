-- What workers did in the widget, append-only, for reports on where help was wanted and whether
-- it helped. No user identity and no raw paths: the route template and help key say where.
CREATE TABLE events (
    id         INTEGER PRIMARY KEY,
    site_id    INTEGER NOT NULL REFERENCES sites (id) ON DELETE CASCADE,
    kind       TEXT    NOT NULL CHECK (kind IN ('panel_open', 'snippet_view', 'search', 'feedback')),
    route      TEXT,
    help_key   TEXT,
    locale     TEXT,
    snippet_id INTEGER,                 -- no foreign key: events outlive the snippets they name
    query      TEXT,
    results    INTEGER,
    helpful    INTEGER,                 -- 1 yes, 0 no
    comment    TEXT,
    created_at INTEGER NOT NULL
) STRICT;

CREATE INDEX events_by_site_and_time ON events (site_id, created_at);
