-- migrate:up
-- PostgreSQL twin of migrations/20261206150000_add_urls_title_note.sql: a link's title and its
-- owner's private note, NULL when there is none, on urls and on import_rows.
ALTER TABLE urls ADD COLUMN title TEXT;
ALTER TABLE urls ADD COLUMN note TEXT;
ALTER TABLE import_rows ADD COLUMN title TEXT;
ALTER TABLE import_rows ADD COLUMN note TEXT;

-- migrate:down
ALTER TABLE import_rows DROP COLUMN note;
ALTER TABLE import_rows DROP COLUMN title;
ALTER TABLE urls DROP COLUMN note;
ALTER TABLE urls DROP COLUMN title;
