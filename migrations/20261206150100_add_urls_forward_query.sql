-- migrate:up
-- Query forwarding (its twin in migrations/postgres/): 1 when a visit's query string is added to
-- the target, 0 when it is not. Every link that exists before this migration was made when snip
-- forwarded nothing, and its owner chose that behaviour: it stays off (the DEFAULT). A new link
-- is made on by every door, which always writes the column (src/links/link-options.ts).
ALTER TABLE urls ADD COLUMN forward_query INTEGER NOT NULL DEFAULT 0
  CHECK (forward_query IN (0, 1));
-- Where an import stages its links; NULL for a row that creates nothing.
ALTER TABLE import_rows ADD COLUMN forward_query INTEGER;

-- migrate:down
ALTER TABLE import_rows DROP COLUMN forward_query;
ALTER TABLE urls DROP COLUMN forward_query;
