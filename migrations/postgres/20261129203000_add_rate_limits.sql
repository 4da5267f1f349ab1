-- migrate:up
-- PostgreSQL twin of migrations/20261129203000_add_rate_limits.sql: the counters of every
-- machine's rate limits, in the columns rate-limiter-flexible's PostgreSQL limiter reads and
-- writes (src/http/postgres-rate-limits.ts), which reads `points` as a JavaScript number: an
-- INTEGER, not a BIGINT (which pg returns as a string). `expire` is epoch milliseconds.
CREATE TABLE rate_limits (
  key TEXT PRIMARY KEY,
  points INTEGER NOT NULL DEFAULT 0,
  expire BIGINT
);

-- migrate:down
DROP TABLE rate_limits;
