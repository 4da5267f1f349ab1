-- migrate:up
-- Counting links by state (/metrics) without reading every row. Only links that are not plainly
-- active (deleted, banned, disabled, or with an expiry or a visit limit) are in this index, with every
-- column their state depends on, so the count reads the index alone; the rest are the total
-- minus these. A plain link's visits never touch it.
CREATE INDEX idx_urls_state
  ON urls (deleted_at, banned_at, disabled_at, expires_at, max_visits, visits)
  WHERE deleted_at IS NOT NULL OR banned_at IS NOT NULL OR disabled_at IS NOT NULL
    OR expires_at IS NOT NULL OR max_visits IS NOT NULL;

-- migrate:down
DROP INDEX idx_urls_state;
