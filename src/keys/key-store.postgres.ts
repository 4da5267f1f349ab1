import type pg from 'pg';
import { postgresQuery } from '../db/sql-text.js';
import type { ApiKey, KeyStore, NewKey } from './key-store.js';
import {
  ALL_KEYS,
  COUNT_USABLE_KEYS,
  INSERT_KEY,
  KEY_BY_HASH,
  REVOKE_INITIAL_KEYS,
  REVOKE_KEY,
  TOUCH_KEY,
  USABLE_KEYS_WITH_HASHES,
} from './key-sql.js';

/**
 * The PostgreSQL twin of key-store.sqlite.ts, with the same methods and results. Give it a pool
 * from createPostgresPool, which reads BIGINT as a JavaScript number.
 */

/** PostgreSQL's SQLSTATE for a unique violation. */
const UNIQUE_VIOLATION = '23505';

export function createPostgresKeyRepository(pool: pg.Pool) {
  return {
    /** False when an active key already has this name (idx_api_keys_active_name). */
    async insertKey(key: NewKey, now: number): Promise<boolean> {
      try {
        await pool.query(
          postgresQuery(INSERT_KEY, {
            name: key.name,
            hash: key.hash,
            scope: key.scope,
            now,
            expiresAt: key.expiresAt,
            source: key.source,
          }),
        );
        return true;
      } catch (error) {
        // Any unique index, as on SQLite: the active name, or (never in practice) the hash.
        if ((error as { code?: unknown } | null)?.code === UNIQUE_VIOLATION) return false;
        throw error;
      }
    },
    async findKeyByHash(hash: Buffer): Promise<(ApiKey & { keyHash: Buffer }) | null> {
      const { rows } = await pool.query<ApiKey & { keyHash: Buffer }>(
        postgresQuery(KEY_BY_HASH, { hash }),
      );
      return rows[0] ?? null;
    },
    async listKeys(): Promise<ApiKey[]> {
      const { rows } = await pool.query<ApiKey>(ALL_KEYS.postgres);
      return rows;
    },
    /** True when an active key of that name was revoked. */
    async revokeKey(name: string, now: number): Promise<boolean> {
      const { rowCount } = await pool.query(postgresQuery(REVOKE_KEY, { now, name }));
      return (rowCount ?? 0) > 0;
    },
    /** Revokes every active key INITIAL_API_KEY made but the one with `keepHash`; their names, sorted. */
    async revokeInitialKeysExcept(keepHash: Buffer | null, now: number): Promise<string[]> {
      const { rows } = await pool.query<{ name: string }>(
        postgresQuery(REVOKE_INITIAL_KEYS, { now, keep: keepHash }),
      );
      return rows.map((row) => row.name).sort();
    },
    async touchKey(id: number, now: number): Promise<void> {
      await pool.query(postgresQuery(TOUCH_KEY, { now, id }));
    },
    async countUsableKeys(now: number): Promise<number> {
      const { rows } = await pool.query<{ n: number }>(postgresQuery(COUNT_USABLE_KEYS, { now }));
      return rows[0]?.n ?? 0;
    },
    async listUsableKeysWithHashes(now: number): Promise<(ApiKey & { keyHash: Buffer })[]> {
      const { rows } = await pool.query<ApiKey & { keyHash: Buffer }>(
        postgresQuery(USABLE_KEYS_WITH_HASHES, { now }),
      );
      return rows;
    },
  };
}

createPostgresKeyRepository satisfies (pool: pg.Pool) => KeyStore;
