import type { Db } from '../db/open-database.sqlite.js';
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

export type KeyRepository = ReturnType<typeof createKeyRepository>;

/** The only place that speaks SQL about API keys. */
export function createKeyRepository(db: Db) {
  const insert = db.prepare(INSERT_KEY.sqlite);
  const byHash = db.prepare<[{ hash: Buffer }], ApiKey & { keyHash: Buffer }>(KEY_BY_HASH.sqlite);
  const all = db.prepare<[], ApiKey>(ALL_KEYS.sqlite);
  const revoke = db.prepare(REVOKE_KEY.sqlite);
  const revokeInitial = db.prepare<[{ now: number; keep: Buffer | null }], { name: string }>(
    REVOKE_INITIAL_KEYS.sqlite,
  );
  const touch = db.prepare(TOUCH_KEY.sqlite);
  const usable = db.prepare<[{ now: number }], { n: number }>(COUNT_USABLE_KEYS.sqlite);
  const usableWithHashes = db.prepare<[{ now: number }], ApiKey & { keyHash: Buffer }>(
    USABLE_KEYS_WITH_HASHES.sqlite,
  );

  return {
    /** False when an active key already has this name. */
    insertKey(key: NewKey, now: number): boolean {
      try {
        insert.run({
          name: key.name,
          hash: key.hash,
          scope: key.scope,
          now,
          expiresAt: key.expiresAt,
          source: key.source,
        });
        return true;
      } catch (error) {
        if ((error as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE') return false;
        throw error;
      }
    },
    findKeyByHash(hash: Buffer): (ApiKey & { keyHash: Buffer }) | null {
      return byHash.get({ hash }) ?? null;
    },
    listKeys(): ApiKey[] {
      return all.all();
    },
    /** True when an active key of that name was revoked. */
    revokeKey(name: string, now: number): boolean {
      return revoke.run({ now, name }).changes > 0;
    },
    /**
     * Revokes every active key INITIAL_API_KEY made but the one with `keepHash` (all when null);
     * the names of those revoked, sorted.
     */
    revokeInitialKeysExcept(keepHash: Buffer | null, now: number): string[] {
      return revokeInitial
        .all({ now, keep: keepHash })
        .map((row) => row.name)
        .sort();
    },
    touchKey(id: number, now: number): void {
      touch.run({ now, id });
    },
    countUsableKeys(now: number): number {
      return usable.get({ now })?.n ?? 0;
    },
    listUsableKeysWithHashes(now: number): (ApiKey & { keyHash: Buffer })[] {
      return usableWithHashes.all({ now });
    },
  };
}

createKeyRepository satisfies (db: Db) => KeyStore;
