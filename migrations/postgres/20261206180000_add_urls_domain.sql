-- migrate:up transaction:false
-- PostgreSQL twin of migrations/20261206180000_add_urls_domain.sql (ADR 031): a link's domain,
-- NULL for the default one, and codes unique per domain through the unique index on
-- (code, COALESCE(domain_id, 0)) instead of the constraint on `code` alone. No rebuild is needed
-- here; transaction:false only because its SQLite twin needs it, and one query of several
-- statements runs in one transaction all the same.
ALTER TABLE urls ADD COLUMN domain_id BIGINT REFERENCES domains (id);
ALTER TABLE urls DROP CONSTRAINT urls_code_key;
CREATE UNIQUE INDEX idx_urls_code_domain ON urls (code, (COALESCE(domain_id, 0)));
CREATE INDEX idx_urls_domain ON urls (domain_id) WHERE domain_id IS NOT NULL;
ALTER TABLE import_rows ADD COLUMN domain_id BIGINT;

-- migrate:down transaction:false
-- Every link goes back to the default domain; this fails (and changes nothing) while one code
-- exists on two domains.
ALTER TABLE import_rows DROP COLUMN domain_id;
DROP INDEX idx_urls_code_domain;
DROP INDEX idx_urls_domain;
ALTER TABLE urls DROP COLUMN domain_id;
ALTER TABLE urls ADD CONSTRAINT urls_code_key UNIQUE (code);
