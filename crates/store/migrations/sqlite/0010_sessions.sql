-- Console sign-in: a secret key exchanged for a session. The browser holds only the session's
-- random token (in an HttpOnly cookie); the store keeps its SHA-256 hash, never the token.
CREATE TABLE sessions (
    id         INTEGER PRIMARY KEY,
    token_hash BLOB    NOT NULL UNIQUE,
    key_id     INTEGER NOT NULL REFERENCES api_keys (id) ON DELETE CASCADE,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    ended_at   INTEGER                                -- signed out (or ended by the key's revocation)
) STRICT;

CREATE INDEX sessions_by_key ON sessions (key_id);
