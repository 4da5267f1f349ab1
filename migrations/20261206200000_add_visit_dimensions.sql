-- migrate:up
-- What visits say, counted per link per UTC day (src/stats/; its twin in migrations/postgres/):
-- a row per (link, day, dimension, value) — country, browser, os, device, language, referrer —
-- with its count and `visitors`, an encoded sketch of the day's unique visitors that merges
-- across flushes and machines (docs/decisions/032-unique-visitors.md). `visits_daily` gains the
-- same sketch for each link's day. Nothing about one visitor is stored: the sketch holds keyed
-- hashes under a key that is never written. Unknown codes are counted per domain and day in
-- `not_found_daily` (the domain key of ADR 031), never stored themselves.
ALTER TABLE visits_daily ADD COLUMN visitors BLOB;

CREATE TABLE visit_dimensions (
  url_id INTEGER NOT NULL REFERENCES urls (id) ON DELETE CASCADE,
  day TEXT NOT NULL,
  dimension TEXT NOT NULL,
  value TEXT NOT NULL,
  count INTEGER NOT NULL,
  visitors BLOB,
  PRIMARY KEY (url_id, dimension, day, value)
) WITHOUT ROWID;

CREATE TABLE not_found_daily (
  domain_key INTEGER NOT NULL,
  day TEXT NOT NULL,
  count INTEGER NOT NULL,
  PRIMARY KEY (domain_key, day)
) WITHOUT ROWID;

-- migrate:down
DROP TABLE not_found_daily;
DROP TABLE visit_dimensions;
ALTER TABLE visits_daily DROP COLUMN visitors;
