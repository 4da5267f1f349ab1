import type pg from 'pg';
import type { ApiKey, KeyStore, NewKey } from './key-store.js';

/**
 * The PostgreSQL twin of key-store.sqlite.ts, with the same methods and results. Give it a pool
 * from createPostgresPool, which reads BIGINT as a JavaScript number.
 */

/** PostgreSQL's SQLSTATE for a unique violation. */
const UNIQUE_VIOLATION = '23505';

/** Quoted: PostgreSQL folds unquoted names to lower case. */
const COLUMNS = `id, name, scope, created, expires_at AS "expiresAt", last_used AS "lastUsed",
  revoked_at AS "revokedAt", source`;

const INSERT = `INSERT INTO api_keys (name, key_hash, scope, created, expires_at, source)
  VALUES ($1, $2, $3, $4, $5, $6)`;
const BY_HASH = `SELECT ${COLUMNS}, key_hash AS "keyHash" FROM api_keys WHERE key_hash = $1`;
const ALL = `SELECT ${COLUMNS} FROM api_keys ORDER BY created, id`;
const REVOKE = 'UPDATE api_keys SET revoked_at = $1 WHERE name = $2 AND revoked_at IS NULL';
// IS DISTINCT FROM NULL is true of every row: no INITIAL_API_KEY revokes every key it made.
const REVOKE_INITIAL = `UPDATE api_keys SET revoked_at = $1
  WHERE source = 'initial' AND revoked_at IS NULL AND key_hash IS DISTINCT FROM $2
  RETURNING name`;
const TOUCH = 'UPDATE api_keys SET last_used = $1 WHERE id = $2';
const USABLE = `SELECT COUNT(*) AS n FROM api_keys
  WHERE revoked_at IS NULL AND (expires_at IS NULL OR expires_at > $1)`;

export function createPostgresKeyRepository(pool: pg.Pool) {
  return {
    /** False when an active key already has this name (idx_api_keys_active_name). */
    async insertKey(key: NewKey, now: number): Promise<boolean> {
      try {
        await pool.query(INSERT, [key.name, key.hash, key.scope, now, key.expiresAt, key.source]);
        return true;
      } catch (error) {
        // Any unique index, as on SQLite: the active name, or (never in practice) the hash.
        if ((error as { code?: unknown } | null)?.code === UNIQUE_VIOLATION) return false;
        throw error;
      }
    },
    async findKeyByHash(hash: Buffer): Promise<(ApiKey & { keyHash: Buffer }) | null> {
      const { rows } = await pool.query<ApiKey & { keyHash: Buffer }>(BY_HASH, [hash]);
      return rows[0] ?? null;
    },
    async listKeys(): Promise<ApiKey[]> {
      const { rows } = await pool.query<ApiKey>(ALL);
      return rows;
    },
    /** True when an active key of that name was revoked. */
    async revokeKey(name: string, now: number): Promise<boolean> {
      const { rowCount } = await pool.query(REVOKE, [now, name]);
      return (rowCount ?? 0) > 0;
    },
    /** Revokes every active key INITIAL_API_KEY made but the one with `keepHash`; their names, sorted. */
    async revokeInitialKeysExcept(keepHash: Buffer | null, now: number): Promise<string[]> {
      const { rows } = await pool.query<{ name: string }>(REVOKE_INITIAL, [now, keepHash]);
      return rows.map((row) => row.name).sort();
    },
    async touchKey(id: number, now: number): Promise<void> {
      await pool.query(TOUCH, [now, id]);
    },
    async countUsableKeys(now: number): Promise<number> {
      const { rows } = await pool.query<{ n: number }>(USABLE, [now]);
      return rows[0]?.n ?? 0;
    },
  };
}

createPostgresKeyRepository satisfies (pool: pg.Pool) => KeyStore;
