-- migrate:up
-- PostgreSQL twin of migrations/20261129120100_add_idx_urls_target.sql: finding the newest
-- active link to a URL (the API's `reuse`) without reading every row. The lookup is by equality
-- only, and a B-tree entry may not exceed about 2.7 kB while a target may have 8192 characters
-- (MAX_URL_LENGTH), so this is a hash index: it stores a hash of the URL, whatever its length.
CREATE INDEX idx_urls_target ON urls USING hash (target);

-- migrate:down
DROP INDEX idx_urls_target;
