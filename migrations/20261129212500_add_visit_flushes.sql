-- migrate:up
-- The flushes of visit counts that committed, by id, kept for a day (its twin in
-- migrations/postgres/). On PostgreSQL a flush whose COMMIT got no answer looks itself up here
-- before its counts go back into memory, so they are never counted twice. On SQLite a COMMIT
-- always answers; the table stays empty so that both engines have the same schema.
CREATE TABLE visit_flushes (
  id TEXT PRIMARY KEY,
  created INTEGER NOT NULL
);
CREATE INDEX idx_visit_flushes_created ON visit_flushes (created);

-- migrate:down
DROP TABLE visit_flushes;
