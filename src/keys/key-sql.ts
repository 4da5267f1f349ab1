import { sqlText } from '../db/sql-text.js';

/**
 * The SQL both engines' key stores run, written once with named parameters (see db/sql-text.ts).
 * Aliases are quoted: PostgreSQL folds unquoted names to lower case, SQLite keeps them as written.
 */

const COLUMNS = `id, name, scope, created, expires_at AS "expiresAt", last_used AS "lastUsed",
  revoked_at AS "revokedAt", source`;

export const INSERT_KEY = sqlText(
  `INSERT INTO api_keys (name, key_hash, scope, created, expires_at, source)
   VALUES (:name, :hash, :scope, :now, :expiresAt, :source)`,
);
export const KEY_BY_HASH = sqlText(
  `SELECT ${COLUMNS}, key_hash AS "keyHash" FROM api_keys WHERE key_hash = :hash`,
);
export const ALL_KEYS = sqlText(`SELECT ${COLUMNS} FROM api_keys ORDER BY created, id`);
export const REVOKE_KEY = sqlText(
  'UPDATE api_keys SET revoked_at = :now WHERE name = :name AND revoked_at IS NULL',
);
// IS DISTINCT FROM NULL is true of every row: no INITIAL_API_KEY revokes every key it made.
export const REVOKE_INITIAL_KEYS = sqlText(
  `UPDATE api_keys SET revoked_at = :now
   WHERE source = 'initial' AND revoked_at IS NULL AND key_hash IS DISTINCT FROM :keep
   RETURNING name`,
);
export const TOUCH_KEY = sqlText('UPDATE api_keys SET last_used = :now WHERE id = :id');
/** The keys that work at `now`, with their hashes: what YOURLS's signature tokens derive from. */
export const USABLE_KEYS_WITH_HASHES = sqlText(
  `SELECT ${COLUMNS}, key_hash AS "keyHash" FROM api_keys
   WHERE revoked_at IS NULL AND (expires_at IS NULL OR expires_at > :now)
   ORDER BY created, id`,
);
export const COUNT_USABLE_KEYS = sqlText(
  `SELECT COUNT(*) AS n FROM api_keys
   WHERE revoked_at IS NULL AND (expires_at IS NULL OR expires_at > :now)`,
);
