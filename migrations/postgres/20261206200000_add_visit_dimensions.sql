-- migrate:up
-- PostgreSQL twin of migrations/20261206200000_add_visit_dimensions.sql: visits counted per link,
-- UTC day, dimension and value with a sketch of unique visitors; the same sketch on each link's
-- day; unknown codes counted per domain key and day.
ALTER TABLE visits_daily ADD COLUMN visitors BYTEA;

CREATE TABLE visit_dimensions (
  url_id BIGINT NOT NULL REFERENCES urls (id) ON DELETE CASCADE,
  day TEXT NOT NULL,
  dimension TEXT NOT NULL,
  value TEXT NOT NULL,
  count BIGINT NOT NULL,
  visitors BYTEA,
  PRIMARY KEY (url_id, dimension, day, value)
);

CREATE TABLE not_found_daily (
  domain_key BIGINT NOT NULL,
  day TEXT NOT NULL,
  count BIGINT NOT NULL,
  PRIMARY KEY (domain_key, day)
);

-- migrate:down
DROP TABLE not_found_daily;
DROP TABLE visit_dimensions;
ALTER TABLE visits_daily DROP COLUMN visitors;
