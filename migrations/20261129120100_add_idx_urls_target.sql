-- migrate:up
-- Finding the newest active link to a URL (the API's `reuse`) without reading every row.
CREATE INDEX idx_urls_target ON urls (target);

-- migrate:down
DROP INDEX idx_urls_target;
