-- migrate:up
-- Rate-limit counters shared by several snip machines on PostgreSQL (its twin in
-- migrations/postgres/). On SQLite one machine keeps its counters in memory and this table stays
-- empty; it exists so that both engines have the same schema.
CREATE TABLE rate_limits (
  key TEXT PRIMARY KEY,
  points INTEGER NOT NULL DEFAULT 0,
  expire INTEGER
);

-- migrate:down
DROP TABLE rate_limits;
