import type { Awaitable } from '../db/awaitable.js';

export const KEY_SCOPES = ['full', 'create-only'] as const;
export type KeyScope = (typeof KEY_SCOPES)[number];

/**
 * Where a key came from: the admin's keys page, the keys command, or INITIAL_API_KEY (revoked
 * when that variable changes); `unknown` for keys made before snip recorded it.
 */
export type KeySource = 'admin' | 'cli' | 'initial' | 'unknown';

/** A key to store; `unknown` is only ever the past's. */
export type NewKey = {
  name: string;
  hash: Buffer;
  scope: KeyScope;
  expiresAt: number | null;
  source: Exclude<KeySource, 'unknown'>;
};

export type ApiKey = {
  id: number;
  name: string;
  scope: KeyScope;
  created: number;
  expiresAt: number | null;
  lastUsed: number | null;
  revokedAt: number | null;
  source: KeySource;
};

/**
 * The storage contract of API keys, written by hand: what every engine must do, whatever it is.
 * A result may be a value (SQLite answers synchronously, so its hot paths stay one prepared
 * statement with no promise in between) or a promise (PostgreSQL answers over the network);
 * callers await every call (ADR 017).
 */
export interface KeyStore {
  /** False when an active key already has this name. */
  insertKey(key: NewKey, now: number): Awaitable<boolean>;
  findKeyByHash(hash: Buffer): Awaitable<
    | (ApiKey & {
        keyHash: Buffer;
      })
    | null
  >;
  listKeys(): Awaitable<ApiKey[]>;
  /** True when an active key of that name was revoked. */
  revokeKey(name: string, now: number): Awaitable<boolean>;
  /**
   * Revokes every active key INITIAL_API_KEY made but the one with `keepHash` (all when null);
   * the names of those revoked, sorted.
   */
  revokeInitialKeysExcept(keepHash: Buffer | null, now: number): Awaitable<string[]>;
  touchKey(id: number, now: number): Awaitable<void>;
  countUsableKeys(now: number): Awaitable<number>;
  /** The keys that work at `now` (not revoked, not expired) with their hashes, by creation. */
  listUsableKeysWithHashes(now: number): Awaitable<(ApiKey & { keyHash: Buffer })[]>;
}
