-- migrate:up
-- A link's title and its owner's private note (its twin in migrations/postgres/): texts of at
-- most 200 and 1,000 characters, NULL when there is none; the same on import_rows, where an
-- import stages its links. A deleted link keeps neither.
ALTER TABLE urls ADD COLUMN title TEXT;
ALTER TABLE urls ADD COLUMN note TEXT;
ALTER TABLE import_rows ADD COLUMN title TEXT;
ALTER TABLE import_rows ADD COLUMN note TEXT;

-- migrate:down
ALTER TABLE import_rows DROP COLUMN note;
ALTER TABLE import_rows DROP COLUMN title;
ALTER TABLE urls DROP COLUMN note;
ALTER TABLE urls DROP COLUMN title;
