-- migrate:up
CREATE INDEX IF NOT EXISTS idx_dates ON urls (created, updated);

-- migrate:down
DROP INDEX IF EXISTS idx_dates;
