-- migrate:up
-- PostgreSQL twin of migrations/20261207010000_add_urls_starts_at.sql: a link's "not before" time
-- in epoch milliseconds (NULL: none), on urls and on the import's staging rows, and the state
-- index made again with it.
ALTER TABLE urls ADD COLUMN starts_at BIGINT;
ALTER TABLE import_rows ADD COLUMN starts_at BIGINT;
DROP INDEX idx_urls_state;
CREATE INDEX idx_urls_state
  ON urls (deleted_at, banned_at, disabled_at, expires_at, max_visits, visits, starts_at)
  WHERE deleted_at IS NOT NULL OR banned_at IS NOT NULL OR disabled_at IS NOT NULL
    OR expires_at IS NOT NULL OR max_visits IS NOT NULL OR starts_at IS NOT NULL;

-- migrate:down
DROP INDEX idx_urls_state;
CREATE INDEX idx_urls_state
  ON urls (deleted_at, banned_at, disabled_at, expires_at, max_visits, visits)
  WHERE deleted_at IS NOT NULL OR banned_at IS NOT NULL OR disabled_at IS NOT NULL
    OR expires_at IS NOT NULL OR max_visits IS NOT NULL;
ALTER TABLE import_rows DROP COLUMN starts_at;
ALTER TABLE urls DROP COLUMN starts_at;
