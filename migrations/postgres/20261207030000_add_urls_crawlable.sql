-- migrate:up
-- PostgreSQL twin of migrations/20261207030000_add_urls_crawlable.sql: 1 when crawlers may index
-- the link (its redirect leaves out `X-Robots-Tag: noindex`). Off for every link, existing ones
-- included. A constant DEFAULT: PostgreSQL adds the column without rewriting the table.
ALTER TABLE urls ADD COLUMN crawlable BIGINT NOT NULL DEFAULT 0
  CHECK (crawlable IN (0, 1));
-- Where an import stages its links; NULL for a row that creates nothing.
ALTER TABLE import_rows ADD COLUMN crawlable BIGINT;

-- migrate:down
ALTER TABLE import_rows DROP COLUMN crawlable;
ALTER TABLE urls DROP COLUMN crawlable;
