-- migrate:up
-- PostgreSQL twin of migrations/20261129130000_add_abuse_handling_and_admin_sessions.sql:
-- banned links, visitors' abuse reports (no IP address stored), the host blocklist, and admin
-- sessions kept only as hashes, so every machine knows them.
ALTER TABLE urls ADD COLUMN banned_at BIGINT;
ALTER TABLE urls ADD COLUMN ban_reason TEXT;

CREATE TABLE abuse_reports (
  id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  url_id BIGINT NOT NULL REFERENCES urls (id) ON DELETE CASCADE,
  reason TEXT NOT NULL CHECK (reason IN ('phishing', 'malware', 'spam', 'illegal', 'other')),
  details TEXT NOT NULL DEFAULT '',
  contact TEXT NOT NULL DEFAULT '',
  created BIGINT NOT NULL,
  resolved_at BIGINT
);
CREATE INDEX idx_abuse_reports_open ON abuse_reports (url_id) WHERE resolved_at IS NULL;

CREATE TABLE blocked_hosts (
  host TEXT PRIMARY KEY,
  reason TEXT NOT NULL DEFAULT '',
  created BIGINT NOT NULL
);

CREATE TABLE admin_sessions (
  id_hash BYTEA PRIMARY KEY,
  created BIGINT NOT NULL,
  last_seen BIGINT NOT NULL
);

-- migrate:down
DROP TABLE admin_sessions;
DROP TABLE blocked_hosts;
DROP TABLE abuse_reports;
ALTER TABLE urls DROP COLUMN ban_reason;
ALTER TABLE urls DROP COLUMN banned_at;
