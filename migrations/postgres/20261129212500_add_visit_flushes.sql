-- migrate:up
-- PostgreSQL twin of migrations/20261129212500_add_visit_flushes.sql: every visit flush inserts
-- its id in its own transaction (src/stats/postgres-visit-repository.ts), so a flush whose
-- COMMIT got no answer can learn whether it committed. Rows older than a day are deleted.
CREATE TABLE visit_flushes (
  id TEXT PRIMARY KEY,
  created BIGINT NOT NULL
);
CREATE INDEX idx_visit_flushes_created ON visit_flushes (created);

-- migrate:down
DROP TABLE visit_flushes;
