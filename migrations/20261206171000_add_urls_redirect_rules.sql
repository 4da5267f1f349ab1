-- migrate:up
-- A link's redirect rules (src/links/redirect-rules.ts; its twin in migrations/postgres/): their
-- canonical JSON text, NULL when it has none; the same on import_rows, where an import stages its
-- links. A deleted link keeps none.
ALTER TABLE urls ADD COLUMN redirect_rules TEXT;
ALTER TABLE import_rows ADD COLUMN redirect_rules TEXT;

-- migrate:down
ALTER TABLE import_rows DROP COLUMN redirect_rules;
ALTER TABLE urls DROP COLUMN redirect_rules;
