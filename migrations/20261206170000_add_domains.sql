-- migrate:up
-- Domains snip answers on besides the default one, BASE_URL's host (their twin in
-- migrations/postgres/). `host` is canonical: lower case, no trailing dot, no port, punycode
-- (src/domains/canonical-host.ts). The three redirects are where the domain sends a visitor
-- instead of snip's own page: its root, an unknown code, a link that is gone. `alias_of` is the
-- host of the domain whose links this one answers too: the default domain's or another's.
CREATE TABLE domains (
  id INTEGER PRIMARY KEY,
  host TEXT NOT NULL UNIQUE,
  root_redirect TEXT,
  not_found_redirect TEXT,
  expired_redirect TEXT,
  alias_of TEXT,
  created INTEGER NOT NULL,
  updated INTEGER NOT NULL
);

-- migrate:down
DROP TABLE domains;
