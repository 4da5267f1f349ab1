-- migrate:up
-- PostgreSQL twin of migrations/20261206150300_add_urls_password.sql: the scrypt hash of a link's
-- password (NULL: no password), and the secrets snip generates once and every machine shares (the
-- key that signs unlock cookies).
ALTER TABLE urls ADD COLUMN password_hash TEXT;
CREATE TABLE app_secrets (
  name TEXT PRIMARY KEY,
  value TEXT NOT NULL
);

-- migrate:down
DROP TABLE app_secrets;
ALTER TABLE urls DROP COLUMN password_hash;
