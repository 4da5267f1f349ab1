-- migrate:up
-- Management without accounts: whoever holds a link's token may manage it. Only the token's
-- SHA-256 is stored. Redirect type, expiry (by date and/or visit count), disabling and deletion
-- (a tombstone that keeps the code from ever being reused) live on the link itself.
ALTER TABLE urls ADD COLUMN manage_token_hash BLOB;
ALTER TABLE urls ADD COLUMN redirect_status INTEGER NOT NULL DEFAULT 302
  CHECK (redirect_status IN (301, 302, 307, 308));
ALTER TABLE urls ADD COLUMN expires_at INTEGER;
ALTER TABLE urls ADD COLUMN max_visits INTEGER CHECK (max_visits IS NULL OR max_visits > 0);
ALTER TABLE urls ADD COLUMN visits INTEGER NOT NULL DEFAULT 0;
ALTER TABLE urls ADD COLUMN last_visit INTEGER;
ALTER TABLE urls ADD COLUMN disabled_at INTEGER;
ALTER TABLE urls ADD COLUMN deleted_at INTEGER;
CREATE UNIQUE INDEX idx_urls_manage_token_hash ON urls (manage_token_hash);

-- Visit statistics are counts only: per link and UTC day, and per link and referring host.
-- No IP address, user agent or cookie of a visitor is ever stored.
CREATE TABLE visits_daily (
  url_id INTEGER NOT NULL REFERENCES urls (id) ON DELETE CASCADE,
  day TEXT NOT NULL,
  count INTEGER NOT NULL,
  PRIMARY KEY (url_id, day)
) WITHOUT ROWID;

CREATE TABLE visits_referrers (
  url_id INTEGER NOT NULL REFERENCES urls (id) ON DELETE CASCADE,
  host TEXT NOT NULL,
  count INTEGER NOT NULL,
  PRIMARY KEY (url_id, host)
) WITHOUT ROWID;

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
