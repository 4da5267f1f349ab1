-- migrate:up
-- Abuse handling: a banned link answers 410 ("removed for abuse") and keeps its code forever;
-- visitors report links (no IP address is stored with a report); banned hosts are refused for
-- every new link. Admin sessions are kept here, only as hashes, so every machine knows them.
ALTER TABLE urls ADD COLUMN banned_at INTEGER;
ALTER TABLE urls ADD COLUMN ban_reason TEXT;

CREATE TABLE abuse_reports (
  id INTEGER PRIMARY KEY,
  url_id INTEGER NOT NULL REFERENCES urls (id) ON DELETE CASCADE,
  reason TEXT NOT NULL CHECK (reason IN ('phishing', 'malware', 'spam', 'illegal', 'other')),
  details TEXT NOT NULL DEFAULT '',
  contact TEXT NOT NULL DEFAULT '',
  created INTEGER NOT NULL,
  resolved_at INTEGER
);
CREATE INDEX idx_abuse_reports_open ON abuse_reports (url_id) WHERE resolved_at IS NULL;

CREATE TABLE blocked_hosts (
  host TEXT PRIMARY KEY,
  reason TEXT NOT NULL DEFAULT '',
  created INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TABLE admin_sessions (
  id_hash BLOB PRIMARY KEY,
  created INTEGER NOT NULL,
  last_seen INTEGER NOT NULL
) WITHOUT ROWID;

-- migrate:down
DROP TABLE admin_sessions;
DROP TABLE blocked_hosts;
DROP TABLE abuse_reports;
ALTER TABLE urls DROP COLUMN ban_reason;
ALTER TABLE urls DROP COLUMN banned_at;
