-- Where help was wanted, counted per day: every route template or URL pattern and help key
-- workers' pages asked about (from /v1/help and /v1/hotspots), and how often specific help
-- existed for it. Aggregates only: no path, no query string, no identity; kept beyond the
-- events' retention.
CREATE TABLE coverage (
    site_id  INTEGER NOT NULL REFERENCES sites (id) ON DELETE CASCADE,
    day      INTEGER NOT NULL,          -- days since 1970-01-01, UTC
    place    TEXT    NOT NULL,          -- route template or matched URL pattern; '' when neither
    help_key TEXT    NOT NULL,          -- '' for the page as a whole
    seen     INTEGER NOT NULL,
    helped   INTEGER NOT NULL,          -- of `seen`, how often a snippet for the key or place existed
    PRIMARY KEY (site_id, day, place, help_key)
) STRICT, WITHOUT ROWID;
