-- migrate:up
-- One row per short link. `code` is the path segment visitors follow (generated or a custom alias);
-- the id, not the target URL, is the key, so the same URL can be shortened many times.
-- Times are Unix epoch milliseconds (UTC).
CREATE TABLE urls (
  id INTEGER PRIMARY KEY,
  code TEXT NOT NULL UNIQUE,
  target TEXT NOT NULL,
  created INTEGER NOT NULL,
  updated INTEGER NOT NULL
);

-- migrate:down
DROP TABLE urls;
