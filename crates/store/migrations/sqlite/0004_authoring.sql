-- Authoring: secret admin keys, revisions, import provenance, site settings, render policy.

-- Secret keys (`sk_…`) are stored only as a SHA-256 hash; `lookup` is the key's public id part,
-- so a key is found without its secret and then compared in constant time.
CREATE TABLE api_keys (
    id           INTEGER PRIMARY KEY,
    site_id      INTEGER NOT NULL REFERENCES sites (id) ON DELETE CASCADE,
    lookup       TEXT    NOT NULL UNIQUE,
    secret_hash  BLOB    NOT NULL,
    role         TEXT    NOT NULL CHECK (role IN ('viewer', 'author', 'publisher', 'owner')),
    label        TEXT    NOT NULL,
    created_at   INTEGER NOT NULL,
    expires_at   INTEGER,                              -- set when the key is rotated out
    revoked_at   INTEGER,
    last_used_at INTEGER
) STRICT;

-- Every state a snippet has had, written with the change that produced it.
CREATE TABLE snippet_revisions (
    snippet_id    INTEGER NOT NULL REFERENCES snippets (id) ON DELETE CASCADE,
    version       INTEGER NOT NULL,
    title         TEXT    NOT NULL,
    body_markdown TEXT    NOT NULL,
    moment        TEXT    NOT NULL,
    roles         TEXT    NOT NULL,
    priority      INTEGER NOT NULL,
    status        TEXT    NOT NULL,
    publish_at    INTEGER,
    expire_at     INTEGER,
    app_versions  TEXT,
    targets       TEXT    NOT NULL,                    -- JSON array of [kind, value]
    actor         TEXT    NOT NULL,                    -- `import`, or the key that wrote it (`key:12`)
    created_at    INTEGER NOT NULL,
    PRIMARY KEY (snippet_id, version)
) STRICT;

-- The version the last import wrote; a different current version means the snippet was edited
-- through the API since, which an import reports as a conflict instead of overwriting.
ALTER TABLE snippets ADD COLUMN imported_version INTEGER;
UPDATE snippets SET imported_version = version;

ALTER TABLE sites ADD COLUMN locales TEXT NOT NULL DEFAULT '[]';          -- JSON array; empty = default only
ALTER TABLE sites ADD COLUMN widget_settings TEXT NOT NULL DEFAULT '{}';  -- JSON object

-- Store-wide facts, such as the fingerprint of the policy the stored HTML was rendered with.
CREATE TABLE store_settings (
    name  TEXT PRIMARY KEY,
    value TEXT NOT NULL
) STRICT;

-- Snippets written before revisions existed get their current state as their first revision.
INSERT INTO snippet_revisions (snippet_id, version, title, body_markdown, moment, roles, priority, status,
                               publish_at, expire_at, app_versions, targets, actor, created_at)
SELECT s.id, s.version, s.title, s.body_markdown, s.moment, s.roles, s.priority, s.status,
       s.publish_at, s.expire_at, s.app_versions,
       (SELECT json_group_array(json_array(kind, value))
          FROM (SELECT kind, value FROM snippet_targets t WHERE t.snippet_id = s.id ORDER BY position)),
       'import', s.updated_at
FROM snippets s;
