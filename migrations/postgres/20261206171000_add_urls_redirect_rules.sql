-- migrate:up
-- PostgreSQL twin of migrations/20261206171000_add_urls_redirect_rules.sql: a link's redirect
-- rules as their canonical JSON text, NULL when it has none, on urls and on import_rows.
ALTER TABLE urls ADD COLUMN redirect_rules TEXT;
ALTER TABLE import_rows ADD COLUMN redirect_rules TEXT;

-- migrate:down
ALTER TABLE import_rows DROP COLUMN redirect_rules;
ALTER TABLE urls DROP COLUMN redirect_rules;
