-- migrate:up
-- Where each API key came from: the admin's keys page (`admin`), the keys command (`cli`), or
-- INITIAL_API_KEY (`initial`), which snip revokes when that variable changes or is removed.
-- Keys made before this was recorded are `unknown`, except those exactly as INITIAL_API_KEY
-- stored them (named `initial` or `initial-<n>`, full scope, no expiry), so that changing the
-- variable revokes the key an earlier value made.
ALTER TABLE api_keys ADD COLUMN source TEXT NOT NULL DEFAULT 'unknown'
  CHECK (source IN ('admin', 'cli', 'initial', 'unknown'));
UPDATE api_keys SET source = 'initial'
WHERE scope = 'full' AND expires_at IS NULL
  AND (name = 'initial' OR (name GLOB 'initial-[0-9]*' AND substr(name, 9) NOT GLOB '*[^0-9]*'));

-- Admin sessions are now stored under a hash keyed by ADMIN_PASSWORD, so a new password ends
-- them all; a session stored the old way could never be found again.
DELETE FROM admin_sessions;

-- migrate:down
ALTER TABLE api_keys DROP COLUMN source;
