-- migrate:up
-- Password-protected links (its twin in migrations/postgres/). `password_hash` is NULL for a link
-- without a password; otherwise the scrypt hash of its password with the salt and parameters
-- (src/links/link-password.ts), never the password itself. `import_rows` gets no such column: an
-- import never sets a password, and snip's export never writes one.
-- `app_secrets` holds secrets snip generates once and every machine on the database shares: the
-- key that signs unlock cookies (docs/decisions/027-password-protected-links.md).
ALTER TABLE urls ADD COLUMN password_hash TEXT;
CREATE TABLE app_secrets (
  name TEXT PRIMARY KEY,
  value TEXT NOT NULL
);

-- migrate:down
DROP TABLE app_secrets;
ALTER TABLE urls DROP COLUMN password_hash;
