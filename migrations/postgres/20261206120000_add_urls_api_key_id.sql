-- migrate:up
-- PostgreSQL twin of migrations/20261206120000_add_urls_api_key_id.sql: the API key that made a
-- link, so that idempotent creation answers only a link made by the same key; NULL for links
-- made without a key and for links made before this migration.
ALTER TABLE urls ADD COLUMN api_key_id BIGINT REFERENCES api_keys (id) ON DELETE SET NULL;
CREATE INDEX idx_urls_api_key_target ON urls (api_key_id, target) WHERE api_key_id IS NOT NULL;

-- migrate:down
DROP INDEX idx_urls_api_key_target;
ALTER TABLE urls DROP COLUMN api_key_id;
