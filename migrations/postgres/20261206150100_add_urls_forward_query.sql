-- migrate:up
-- PostgreSQL twin of migrations/20261206150100_add_urls_forward_query.sql: 1 when a visit's query
-- string is added to the target. Links made before it stay off (made when snip forwarded
-- nothing); every door writes the column for a new link, on unless its owner says otherwise.
-- A constant DEFAULT: PostgreSQL adds the column without rewriting the table.
ALTER TABLE urls ADD COLUMN forward_query BIGINT NOT NULL DEFAULT 0
  CHECK (forward_query IN (0, 1));
-- Where an import stages its links; NULL for a row that creates nothing.
ALTER TABLE import_rows ADD COLUMN forward_query BIGINT;

-- migrate:down
ALTER TABLE import_rows DROP COLUMN forward_query;
ALTER TABLE urls DROP COLUMN forward_query;
