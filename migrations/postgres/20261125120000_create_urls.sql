-- migrate:up
-- PostgreSQL twin of migrations/20261125120000_create_urls.sql: the same version and name, so
-- both engines list the same migrations. One row per short link; `code` is the path segment
-- visitors follow. Times are Unix epoch milliseconds (UTC), hence BIGINT.
CREATE TABLE urls (
  id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  code TEXT NOT NULL UNIQUE,
  target TEXT NOT NULL,
  created BIGINT NOT NULL,
  updated BIGINT NOT NULL
);

-- migrate:down
DROP TABLE urls;
