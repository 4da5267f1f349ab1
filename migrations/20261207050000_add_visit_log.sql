-- migrate:up
-- The visit log (ADR 045; its twin in migrations/postgres/): while visits are spread over many
-- links, each second's flush appends one row per link here — its visits, days, referring hosts
-- and dimensions, encoded (src/stats/visit-batches.ts) — instead of updating that link's
-- rows all over the file, and the rows are folded into urls.visits and the statistics' tables
-- later, many at a time and in link order, each fold deleting the rows it added in the same
-- transaction. url_id is kept beside the bytes so a fold can sort without decoding; no foreign
-- key: the rows of a link deleted meanwhile are dropped by the fold, as a flush drops them.
CREATE TABLE visit_log (
  seq INTEGER PRIMARY KEY,
  url_id INTEGER NOT NULL,
  logged INTEGER NOT NULL,
  batch BLOB NOT NULL
);

-- migrate:down
DROP TABLE visit_log;
