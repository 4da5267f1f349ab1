-- migrate:up
-- PostgreSQL twin of migrations/20261206170000_add_domains.sql: the domains snip answers on
-- besides BASE_URL's host, each by its canonical host, with its three redirects and the host of
-- the domain it is an alias of.
CREATE TABLE domains (
  id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  host TEXT NOT NULL UNIQUE,
  root_redirect TEXT,
  not_found_redirect TEXT,
  expired_redirect TEXT,
  alias_of TEXT,
  created BIGINT NOT NULL,
  updated BIGINT NOT NULL
);

-- migrate:down
DROP TABLE domains;
