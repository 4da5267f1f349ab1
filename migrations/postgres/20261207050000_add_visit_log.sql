-- migrate:up
-- The twin of the SQLite visit log (ADR 045), so both schemas keep the same tables. PostgreSQL's
-- store adds each flush's visits at once (a few statements over arrays, whatever the number of
-- links) and never writes here.
CREATE TABLE visit_log (
  seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  url_id BIGINT NOT NULL,
  logged BIGINT NOT NULL,
  batch BYTEA NOT NULL
);

-- migrate:down
DROP TABLE visit_log;
