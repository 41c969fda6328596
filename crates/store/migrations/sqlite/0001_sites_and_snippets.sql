-- Sites, snippets and their targets. Times are unix seconds.
CREATE TABLE sites (
    id              INTEGER PRIMARY KEY,
    public_key      TEXT    NOT NULL UNIQUE,
    name            TEXT    NOT NULL,
    origins         TEXT    NOT NULL DEFAULT '[]',   -- JSON array of origins allowed by CORS
    default_locale  TEXT    NOT NULL DEFAULT 'en',
    content_version INTEGER NOT NULL DEFAULT 0,      -- bumped by every content change
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
) STRICT;

CREATE TABLE snippets (
    id            INTEGER PRIMARY KEY,
    site_id       INTEGER NOT NULL REFERENCES sites (id) ON DELETE CASCADE,
    slug          TEXT    NOT NULL,
    locale        TEXT    NOT NULL,
    title         TEXT    NOT NULL,
    body_markdown TEXT    NOT NULL,                  -- as the author wrote it, byte for byte
    body_html     TEXT    NOT NULL,                  -- rendered and sanitized on write
    moment        TEXT    NOT NULL CHECK (moment IN ('new', 'more', 'apply', 'solve', 'change')),
    roles         TEXT    NOT NULL DEFAULT '[]',     -- JSON array; empty = everyone
    priority      INTEGER NOT NULL DEFAULT 0,
    status        TEXT    NOT NULL CHECK (status IN ('draft', 'published', 'archived')),
    publish_at    INTEGER,
    expire_at     INTEGER,
    version       INTEGER NOT NULL DEFAULT 1,
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL,
    UNIQUE (site_id, slug, locale)
) STRICT;

CREATE TABLE snippet_targets (
    snippet_id INTEGER NOT NULL REFERENCES snippets (id) ON DELETE CASCADE,
    position   INTEGER NOT NULL,
    kind       TEXT    NOT NULL CHECK (kind IN ('key', 'route', 'url')),
    value      TEXT    NOT NULL,
    PRIMARY KEY (snippet_id, position)
) STRICT;
