-- migrate:up
-- The API key that made a link (its twin in migrations/postgres/). Idempotent creation (`reuse`,
-- Shlink's findIfExists, Kutt's reuse) answers only a link made by the same key: a link made by
-- the form, the admin, an import or another key is never handed out. NULL for every link made
-- without a key, and for every link made before this migration. Keys are revoked, not deleted;
-- should one be deleted, its links simply stop being reusable.
ALTER TABLE urls ADD COLUMN api_key_id INTEGER REFERENCES api_keys (id) ON DELETE SET NULL;
CREATE INDEX idx_urls_api_key_target ON urls (api_key_id, target) WHERE api_key_id IS NOT NULL;

-- migrate:down
DROP INDEX idx_urls_api_key_target;
ALTER TABLE urls DROP COLUMN api_key_id;
