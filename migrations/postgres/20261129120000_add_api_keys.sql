-- migrate:up
-- PostgreSQL twin of migrations/20261129120000_add_api_keys.sql: only the key's SHA-256 is
-- stored; a revoked key keeps its row, and its name may be given to a new key.
CREATE TABLE api_keys (
  id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  name TEXT NOT NULL,
  key_hash BYTEA NOT NULL UNIQUE,
  scope TEXT NOT NULL CHECK (scope IN ('full', 'create-only')),
  created BIGINT NOT NULL,
  expires_at BIGINT,
  last_used BIGINT,
  revoked_at BIGINT
);
CREATE UNIQUE INDEX idx_api_keys_active_name ON api_keys (name) WHERE revoked_at IS NULL;

-- migrate:down
DROP TABLE api_keys;
