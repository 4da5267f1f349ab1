-- migrate:up
-- Imports and their reports (its twin in migrations/postgres/). An import stages every row of
-- its file here as it reads it, checked and with its result, so that memory holds one batch at a
-- time; only once the whole file has been read does it write the staged links into urls. The
-- rows then are the report that can be downloaded, kept for an hour, three at most.
-- state: 'reading' while the file arrives; 'applying' while the links go into urls in batches,
-- applied_upto the last row written (SQLite only; a start undoes an import left here);
-- 'done' once every link is in.
CREATE TABLE imports (
  id TEXT PRIMARY KEY,
  created INTEGER NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('reading', 'applying', 'done')),
  applied_upto INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX idx_imports_created ON imports (created);

-- A row of an imported file: its report line, and for a row to create (result 'created' until
-- its code turns out taken: 'skipped') what the insert needs; NULL for other rows.
CREATE TABLE import_rows (
  import_id TEXT NOT NULL REFERENCES imports (id) ON DELETE CASCADE,
  seq INTEGER NOT NULL,
  line INTEGER NOT NULL,
  code TEXT NOT NULL,
  target TEXT NOT NULL,
  result TEXT NOT NULL CHECK (result IN ('created', 'skipped', 'refused', 'invalid')),
  reason TEXT NOT NULL,
  created INTEGER,
  updated INTEGER,
  redirect_status INTEGER,
  expires_at INTEGER,
  max_visits INTEGER,
  visits INTEGER,
  last_visit INTEGER,
  disabled_at INTEGER,
  banned_at INTEGER,
  ban_reason TEXT,
  deleted_at INTEGER,
  PRIMARY KEY (import_id, seq)
);

-- migrate:down
DROP TABLE import_rows;
DROP TABLE imports;
