-- migrate:up
-- PostgreSQL twin of migrations/20261125130000_add_link_management.sql. Only the management
-- token's SHA-256 is stored (BYTEA); redirect type, expiry, disabling and deletion live on the link.
ALTER TABLE urls ADD COLUMN manage_token_hash BYTEA;
ALTER TABLE urls ADD COLUMN redirect_status INTEGER NOT NULL DEFAULT 302
  CHECK (redirect_status IN (301, 302, 307, 308));
ALTER TABLE urls ADD COLUMN expires_at BIGINT;
ALTER TABLE urls ADD COLUMN max_visits BIGINT CHECK (max_visits IS NULL OR max_visits > 0);
ALTER TABLE urls ADD COLUMN visits BIGINT NOT NULL DEFAULT 0;
ALTER TABLE urls ADD COLUMN last_visit BIGINT;
ALTER TABLE urls ADD COLUMN disabled_at BIGINT;
ALTER TABLE urls ADD COLUMN deleted_at BIGINT;
CREATE UNIQUE INDEX idx_urls_manage_token_hash ON urls (manage_token_hash);

-- Visit statistics are counts only: per link and UTC day (YYYY-MM-DD, as on SQLite), and per
-- link and referring host. No IP address, user agent or cookie of a visitor is ever stored.
CREATE TABLE visits_daily (
  url_id BIGINT NOT NULL REFERENCES urls (id) ON DELETE CASCADE,
  day TEXT NOT NULL,
  count BIGINT NOT NULL,
  PRIMARY KEY (url_id, day)
);

CREATE TABLE visits_referrers (
  url_id BIGINT NOT NULL REFERENCES urls (id) ON DELETE CASCADE,
  host TEXT NOT NULL,
  count BIGINT NOT NULL,
  PRIMARY KEY (url_id, host)
);

-- migrate:down
DROP TABLE visits_referrers;
DROP TABLE visits_daily;
DROP INDEX idx_urls_manage_token_hash;
ALTER TABLE urls DROP COLUMN deleted_at;
ALTER TABLE urls DROP COLUMN disabled_at;
ALTER TABLE urls DROP COLUMN last_visit;
ALTER TABLE urls DROP COLUMN visits;
ALTER TABLE urls DROP COLUMN max_visits;
ALTER TABLE urls DROP COLUMN expires_at;
ALTER TABLE urls DROP COLUMN redirect_status;
ALTER TABLE urls DROP COLUMN manage_token_hash;
