-- migrate:up
-- API keys: only the key's SHA-256 is stored. `full` keys may do everything the API offers;
-- `create-only` keys may create links and nothing else. A revoked key keeps its row (when it was
-- made and last used), and its name may be given to a new key.
CREATE TABLE api_keys (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL,
  key_hash BLOB NOT NULL UNIQUE,
  scope TEXT NOT NULL CHECK (scope IN ('full', 'create-only')),
  created INTEGER NOT NULL,
  expires_at INTEGER,
  last_used INTEGER,
  revoked_at INTEGER
);
CREATE UNIQUE INDEX idx_api_keys_active_name ON api_keys (name) WHERE revoked_at IS NULL;

-- migrate:down
DROP TABLE api_keys;
