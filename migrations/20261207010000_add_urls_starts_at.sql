-- migrate:up
-- A link's "not before" time (its twin in migrations/postgres/): epoch milliseconds, as
-- expires_at; NULL for a link that works from its creation. Before it the link does not redirect
-- (docs/decisions/037-not-before.md). `import_rows` stages it as it stages expires_at.
-- idx_urls_state holds every link that is not plainly active, with every column its state
-- depends on, so it is made again with starts_at.
ALTER TABLE urls ADD COLUMN starts_at INTEGER;
ALTER TABLE import_rows ADD COLUMN starts_at INTEGER;
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
