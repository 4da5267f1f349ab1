-- migrate:up
-- PostgreSQL twin of migrations/20261206120200_add_imports.sql: imports stage their rows here as
-- they read the file, then write the links into urls in one transaction; the rows stay as the
-- report any machine can send, for an hour, three at most. applied_upto is used by SQLite only,
-- whose batches are transactions of their own.
CREATE TABLE imports (
  id TEXT PRIMARY KEY,
  created BIGINT NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('reading', 'applying', 'done')),
  applied_upto BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX idx_imports_created ON imports (created);

CREATE TABLE import_rows (
  import_id TEXT NOT NULL REFERENCES imports (id) ON DELETE CASCADE,
  seq BIGINT NOT NULL,
  line BIGINT NOT NULL,
  code TEXT NOT NULL,
  target TEXT NOT NULL,
  result TEXT NOT NULL CHECK (result IN ('created', 'skipped', 'refused', 'invalid')),
  reason TEXT NOT NULL,
  created BIGINT,
  updated BIGINT,
  redirect_status BIGINT,
  expires_at BIGINT,
  max_visits BIGINT,
  visits BIGINT,
  last_visit BIGINT,
  disabled_at BIGINT,
  banned_at BIGINT,
  ban_reason TEXT,
  deleted_at BIGINT,
  PRIMARY KEY (import_id, seq)
);

-- migrate:down
DROP TABLE import_rows;
DROP TABLE imports;
