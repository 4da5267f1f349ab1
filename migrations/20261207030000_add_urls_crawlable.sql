-- migrate:up
-- Whether crawlers may index a link (its twin in migrations/postgres/): 1 when its redirect leaves
-- out `X-Robots-Tag: noindex`, 0 when it says it. Off for every link, as Shlink's `crawlable`:
-- links made before this migration keep saying noindex (the DEFAULT).
ALTER TABLE urls ADD COLUMN crawlable INTEGER NOT NULL DEFAULT 0
  CHECK (crawlable IN (0, 1));
-- Where an import stages its links; NULL for a row that creates nothing.
ALTER TABLE import_rows ADD COLUMN crawlable INTEGER;

-- migrate:down
ALTER TABLE import_rows DROP COLUMN crawlable;
ALTER TABLE urls DROP COLUMN crawlable;
