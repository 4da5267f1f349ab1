-- migrate:up
-- PostgreSQL twin of migrations/20261206120100_add_api_key_sources.sql: where each API key came
-- from (`admin`, `cli`, `initial` from INITIAL_API_KEY, or `unknown` for keys made before this
-- was recorded, except those exactly as INITIAL_API_KEY stored them); and admin sessions stored
-- the old way, which a hash keyed by ADMIN_PASSWORD can never find again, are gone.
ALTER TABLE api_keys ADD COLUMN source TEXT NOT NULL DEFAULT 'unknown'
  CHECK (source IN ('admin', 'cli', 'initial', 'unknown'));
UPDATE api_keys SET source = 'initial'
WHERE scope = 'full' AND expires_at IS NULL AND name ~ '^initial(-[0-9]+)?$';

DELETE FROM admin_sessions;

-- migrate:down
ALTER TABLE api_keys DROP COLUMN source;
