import type { Db } from '../db/open-database.js';

export const KEY_SCOPES = ['full', 'create-only'] as const;
export type KeyScope = (typeof KEY_SCOPES)[number];

export type ApiKey = {
  id: number;
  name: string;
  scope: KeyScope;
  created: number;
  expiresAt: number | null;
  lastUsed: number | null;
  revokedAt: number | null;
};

const COLUMNS = `id, name, scope, created, expires_at AS expiresAt, last_used AS lastUsed,
  revoked_at AS revokedAt`;

export type KeyRepository = ReturnType<typeof createKeyRepository>;

/** The only place that speaks SQL about API keys. */
export function createKeyRepository(db: Db) {
  const insert = db.prepare<[string, Buffer, KeyScope, number, number | null]>(
    'INSERT INTO api_keys (name, key_hash, scope, created, expires_at) VALUES (?, ?, ?, ?, ?)',
  );
  const byHash = db.prepare<[Buffer], ApiKey & { keyHash: Buffer }>(
    `SELECT ${COLUMNS}, key_hash AS keyHash FROM api_keys WHERE key_hash = ?`,
  );
  const all = db.prepare<[], ApiKey>(`SELECT ${COLUMNS} FROM api_keys ORDER BY created, id`);
  const revoke = db.prepare<[number, string]>(
    'UPDATE api_keys SET revoked_at = ? WHERE name = ? AND revoked_at IS NULL',
  );
  const touch = db.prepare<[number, number]>('UPDATE api_keys SET last_used = ? WHERE id = ?');
  const usable = db.prepare<[number], { n: number }>(
    `SELECT COUNT(*) AS n FROM api_keys
     WHERE revoked_at IS NULL AND (expires_at IS NULL OR expires_at > ?)`,
  );

  return {
    /** False when an active key already has this name. */
    insertKey(
      key: { name: string; hash: Buffer; scope: KeyScope; expiresAt: number | null },
      now: number,
    ): boolean {
      try {
        insert.run(key.name, key.hash, key.scope, now, key.expiresAt);
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
    touchKey(id: number, now: number): void {
      touch.run(now, id);
    },
    countUsableKeys(now: number): number {
      return usable.get(now)?.n ?? 0;
    },
  };
}
