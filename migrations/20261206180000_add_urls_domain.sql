-- migrate:up transaction:false
-- Links belong to a domain (docs/decisions/031-links-on-domains.md; its twin in
-- migrations/postgres/). `domain_id` is the added domain a link belongs to, NULL for the default
-- domain (BASE_URL's host, which is not stored). A code is unique per domain: the unique index
-- on (code, COALESCE(domain_id, 0)) replaces the constraint on `code` alone, and the redirect
-- asks for exactly that expression. Domain ids start at 1, so 0 is never a real one.
--
-- SQLite drops a UNIQUE constraint only by rebuilding the table: a new table, every row copied
-- with its id, the old one dropped and the new one renamed, its indexes made again. Foreign keys
-- are off meanwhile (which only works outside a transaction, hence transaction:false and the
-- explicit BEGIN … COMMIT), so that dropping the old table neither cascades into the visit
-- counts, tags and reports that point at it nor fails; they point at the new table once renamed.
PRAGMA foreign_keys = OFF;
BEGIN;
CREATE TABLE urls_with_domains (
  id INTEGER PRIMARY KEY,
  code TEXT NOT NULL,
  target TEXT NOT NULL,
  created INTEGER NOT NULL,
  updated INTEGER NOT NULL,
  manage_token_hash BLOB,
  redirect_status INTEGER NOT NULL DEFAULT 302 CHECK (redirect_status IN (301, 302, 307, 308)),
  expires_at INTEGER,
  max_visits INTEGER CHECK (max_visits IS NULL OR max_visits > 0),
  visits INTEGER NOT NULL DEFAULT 0,
  last_visit INTEGER,
  disabled_at INTEGER,
  deleted_at INTEGER,
  banned_at INTEGER,
  ban_reason TEXT,
  api_key_id INTEGER REFERENCES api_keys (id) ON DELETE SET NULL,
  title TEXT,
  note TEXT,
  forward_query INTEGER NOT NULL DEFAULT 0 CHECK (forward_query IN (0, 1)),
  password_hash TEXT,
  redirect_rules TEXT,
  domain_id INTEGER REFERENCES domains (id)
);
INSERT INTO urls_with_domains (id, code, target, created, updated, manage_token_hash,
    redirect_status, expires_at, max_visits, visits, last_visit, disabled_at, deleted_at,
    banned_at, ban_reason, api_key_id, title, note, forward_query, password_hash, redirect_rules)
  SELECT id, code, target, created, updated, manage_token_hash,
    redirect_status, expires_at, max_visits, visits, last_visit, disabled_at, deleted_at,
    banned_at, ban_reason, api_key_id, title, note, forward_query, password_hash, redirect_rules
  FROM urls;
DROP TABLE urls;
ALTER TABLE urls_with_domains RENAME TO urls;
CREATE UNIQUE INDEX idx_urls_code_domain ON urls (code, COALESCE(domain_id, 0));
CREATE INDEX idx_urls_domain ON urls (domain_id) WHERE domain_id IS NOT NULL;
CREATE INDEX idx_dates ON urls (created, updated);
CREATE UNIQUE INDEX idx_urls_manage_token_hash ON urls (manage_token_hash);
CREATE INDEX idx_urls_target ON urls (target);
CREATE INDEX idx_urls_state
  ON urls (deleted_at, banned_at, disabled_at, expires_at, max_visits, visits)
  WHERE deleted_at IS NOT NULL OR banned_at IS NOT NULL OR disabled_at IS NOT NULL
    OR expires_at IS NOT NULL OR max_visits IS NOT NULL;
CREATE INDEX idx_urls_api_key_target ON urls (api_key_id, target) WHERE api_key_id IS NOT NULL;
-- A staged import row's domain, as on urls.
ALTER TABLE import_rows ADD COLUMN domain_id INTEGER;
COMMIT;
PRAGMA foreign_keys = ON;

-- migrate:down transaction:false
-- Every link goes back to the default domain and `code` is unique on its own again: this fails
-- (and changes nothing) while one code exists on two domains.
PRAGMA foreign_keys = OFF;
BEGIN;
ALTER TABLE import_rows DROP COLUMN domain_id;
DROP INDEX idx_urls_code_domain;
DROP INDEX idx_urls_domain;
ALTER TABLE urls DROP COLUMN domain_id;
CREATE TABLE urls_without_domains (
  id INTEGER PRIMARY KEY,
  code TEXT NOT NULL UNIQUE,
  target TEXT NOT NULL,
  created INTEGER NOT NULL,
  updated INTEGER NOT NULL,
  manage_token_hash BLOB,
  redirect_status INTEGER NOT NULL DEFAULT 302 CHECK (redirect_status IN (301, 302, 307, 308)),
  expires_at INTEGER,
  max_visits INTEGER CHECK (max_visits IS NULL OR max_visits > 0),
  visits INTEGER NOT NULL DEFAULT 0,
  last_visit INTEGER,
  disabled_at INTEGER,
  deleted_at INTEGER,
  banned_at INTEGER,
  ban_reason TEXT,
  api_key_id INTEGER REFERENCES api_keys (id) ON DELETE SET NULL,
  title TEXT,
  note TEXT,
  forward_query INTEGER NOT NULL DEFAULT 0 CHECK (forward_query IN (0, 1)),
  password_hash TEXT,
  redirect_rules TEXT
);
INSERT INTO urls_without_domains SELECT * FROM urls;
DROP TABLE urls;
ALTER TABLE urls_without_domains RENAME TO urls;
CREATE INDEX idx_dates ON urls (created, updated);
CREATE UNIQUE INDEX idx_urls_manage_token_hash ON urls (manage_token_hash);
CREATE INDEX idx_urls_target ON urls (target);
CREATE INDEX idx_urls_state
  ON urls (deleted_at, banned_at, disabled_at, expires_at, max_visits, visits)
  WHERE deleted_at IS NOT NULL OR banned_at IS NOT NULL OR disabled_at IS NOT NULL
    OR expires_at IS NOT NULL OR max_visits IS NOT NULL;
CREATE INDEX idx_urls_api_key_target ON urls (api_key_id, target) WHERE api_key_id IS NOT NULL;
COMMIT;
PRAGMA foreign_keys = ON;
