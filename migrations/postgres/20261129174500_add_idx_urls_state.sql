-- migrate:up
-- PostgreSQL twin of migrations/20261129174500_add_idx_urls_state.sql: counting links by state
-- (/metrics) without reading every row. Only links that are not plainly active are in it, with
-- every column their state depends on.
CREATE INDEX idx_urls_state
  ON urls (deleted_at, banned_at, disabled_at, expires_at, max_visits, visits)
  WHERE deleted_at IS NOT NULL OR banned_at IS NOT NULL OR disabled_at IS NOT NULL
    OR expires_at IS NOT NULL OR max_visits IS NOT NULL;

-- migrate:down
DROP INDEX idx_urls_state;
