import type { Db } from '../db/open-database.sqlite.js';
import type { ApiKey, KeyScope, KeyStore, NewKey } from './key-store.js';

const COLUMNS = `id, name, scope, created, expires_at AS expiresAt, last_used AS lastUsed,
  revoked_at AS revokedAt, source`;

export type KeyRepository = ReturnType<typeof createKeyRepository>;

/** The only place that speaks SQL about API keys. */
export function createKeyRepository(db: Db) {
  const insert = db.prepare<[string, Buffer, KeyScope, number, number | null, string]>(
    `INSERT INTO api_keys (name, key_hash, scope, created, expires_at, source)
     VALUES (?, ?, ?, ?, ?, ?)`,
  );
  const byHash = db.prepare<[Buffer], ApiKey & { keyHash: Buffer }>(
    `SELECT ${COLUMNS}, key_hash AS keyHash FROM api_keys WHERE key_hash = ?`,
  );
  const all = db.prepare<[], ApiKey>(`SELECT ${COLUMNS} FROM api_keys ORDER BY created, id`);
  const revoke = db.prepare<[number, string]>(
    'UPDATE api_keys SET revoked_at = ? WHERE name = ? AND revoked_at IS NULL',
  );
  // `IS NOT ?` with NULL is true of every row: no INITIAL_API_KEY revokes every key it made.
  const revokeInitial = db.prepare<[number, Buffer | null], { name: string }>(
    `UPDATE api_keys SET revoked_at = ?
     WHERE source = 'initial' AND revoked_at IS NULL AND key_hash IS NOT ?
     RETURNING name`,
  );
  const touch = db.prepare<[number, number]>('UPDATE api_keys SET last_used = ? WHERE id = ?');
  const usable = db.prepare<[number], { n: number }>(
    `SELECT COUNT(*) AS n FROM api_keys
     WHERE revoked_at IS NULL AND (expires_at IS NULL OR expires_at > ?)`,
  );

  return {
    /** False when an active key already has this name. */
    insertKey(key: NewKey, now: number): boolean {
      try {
        insert.run(key.name, key.hash, key.scope, now, key.expiresAt, key.source);
        return true;
      } catch (error) {
        if ((error as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE') return false;
        throw error;
      }
    },
    findKeyByHash(hash: Buffer): (ApiKey & { keyHash: Buffer }) | null {
      return byHash.get(hash) ?? null;
    },
    listKeys(): ApiKey[] {
      return all.all();
    },
    /** True when an active key of that name was revoked. */
    revokeKey(name: string, now: number): boolean {
      return revoke.run(now, name).changes > 0;
    },
    /**
     * Revokes every active key INITIAL_API_KEY made but the one with `keepHash` (all when null);
     * the names of those revoked, sorted.
     */
    revokeInitialKeysExcept(keepHash: Buffer | null, now: number): string[] {
      return revokeInitial
        .all(now, keepHash)
        .map((row) => row.name)
        .sort();
    },
    touchKey(id: number, now: number): void {
      touch.run(now, id);
    },
    countUsableKeys(now: number): number {
      return usable.get(now)?.n ?? 0;
    },
  };
}

createKeyRepository satisfies (db: Db) => KeyStore;
