import { randomBytes } from 'node:crypto';
import { hashSecret, secretMatches } from '../http/secret-hash.js';
import type { ApiKey, KeyScope, KeyStore, NewKey } from './key-store.js';
import {
  isFreshTimestamp,
  signatureAlgorithm,
  signatureMatches,
  signatureToken,
  type SignedRequest,
} from './yourls-signature.js';

/** `snip_` and 32 random bytes (256 bits) as base64url: recognisable in a leak scanner's eyes. */
const KEY_PREFIX = 'snip_';
const KEY_BYTES = 32;
/** INITIAL_API_KEY: long enough to be a secret, printable, no spaces (it travels in headers). */
export const INITIAL_KEY_PATTERN = /^[\x21-\x7e]{32,256}$/;
export const KEY_NAME_PATTERN = /^[A-Za-z0-9_.-]{1,64}$/;
/** `last used` is written at most once a minute per key: an API client must not cost a write per call. */
const TOUCH_INTERVAL_MS = 60_000;

export type KeyCheck =
  { ok: true; key: ApiKey } | { ok: false; reason: 'unknown' | 'revoked' | 'expired' };

/** YOURLS's timestamp and signature: a key, none without ADMIN_PASSWORD, or a refusal. */
export type SignatureCheck =
  { ok: true; key: ApiKey } | { ok: false; reason: 'no-tokens' | 'refused' };

export type KeyService = ReturnType<typeof createKeyService>;

export function createKeyService(deps: {
  keys: KeyStore;
  now: () => number;
  /** What YOURLS signature tokens derive from (signatureSecretOf); null: no tokens. */
  signatureSecret?: Buffer | null;
}) {
  const lastTouched = new Map<number, number>();
  const secret = deps.signatureSecret ?? null;

  /** Records a key's use, at most once a minute. */
  async function touch(id: number, now: number): Promise<void> {
    if (now - (lastTouched.get(id) ?? Number.NEGATIVE_INFINITY) < TOUCH_INTERVAL_MS) return;
    lastTouched.set(id, now);
    try {
      await deps.keys.touchKey(id, now);
    } catch {
      // Bookkeeping only: a busy or full database must not refuse a valid key.
    }
  }

  return {
    /** A new key, returned once; only its hash is stored. Null when the name is taken. */
    async createKey(
      input: { name: string; scope: KeyScope; expiresAt: number | null },
      source: Exclude<NewKey['source'], 'initial'> = 'admin',
    ): Promise<string | null> {
      const key = KEY_PREFIX + randomBytes(KEY_BYTES).toString('base64url');
      const stored = await deps.keys.insertKey(
        { ...input, hash: hashSecret(key), source },
        deps.now(),
      );
      return stored ? key : null;
    },

    /**
     * Makes the keys INITIAL_API_KEY stored agree with its value at start: any other key it
     * made earlier is revoked (all of them when it is unset), and the value is stored unless it
     * is stored already. A value that was revoked stays revoked (`initial: 'revoked'`): a key
     * once withdrawn never works again.
     */
    async syncInitialKey(
      key: string | null,
    ): Promise<{ initial: 'stored' | 'present' | 'revoked' | null; revoked: string[] }> {
      const hash = key === null ? null : hashSecret(key);
      const revoked = await deps.keys.revokeInitialKeysExcept(hash, deps.now());
      if (hash === null) return { initial: null, revoked };
      for (let n = 1; ; n++) {
        const found = await deps.keys.findKeyByHash(hash);
        if (found) return { initial: found.revokedAt === null ? 'present' : 'revoked', revoked };
        // Another machine starting with the same INITIAL_API_KEY may store it first: the insert
        // then fails, and the next turn finds the key. A name taken by another key takes a number.
        const name = n === 1 ? 'initial' : `initial-${n}`;
        const stored = await deps.keys.insertKey(
          { name, hash, scope: 'full', expiresAt: null, source: 'initial' },
          deps.now(),
        );
        if (stored) return { initial: 'stored', revoked };
      }
    },

    /** Checks a presented key in constant time; a known key's use is recorded (at most once a minute). */
    async checkKey(presented: string): Promise<KeyCheck> {
      if (presented.length > 512) return { ok: false, reason: 'unknown' };
      const found = await deps.keys.findKeyByHash(hashSecret(presented));
      if (!found || !secretMatches(presented, found.keyHash))
        return { ok: false, reason: 'unknown' };
      const now = deps.now();
      if (found.revokedAt !== null) return { ok: false, reason: 'revoked' };
      if (found.expiresAt !== null && now >= found.expiresAt)
        return { ok: false, reason: 'expired' };
      await touch(found.id, now);
      const { keyHash: _hash, ...key } = found;
      return { ok: true, key };
    },

    /**
     * YOURLS's timestamp and signature (yourls_check_signature_timestamp): a timestamp within
     * 12 hours, an algorithm snip takes, and the signature of a key that works now; each key's
     * token is computed for the request, none is stored.
     */
    async checkSignature(request: SignedRequest): Promise<SignatureCheck> {
      if (secret === null) return { ok: false, reason: 'no-tokens' };
      const now = deps.now();
      const algorithm = signatureAlgorithm(request.hash);
      if (algorithm === null || !isFreshTimestamp(request.timestamp, now)) {
        return { ok: false, reason: 'refused' };
      }
      if (request.signature.length > 256) return { ok: false, reason: 'refused' };
      for (const found of await deps.keys.listUsableKeysWithHashes(now)) {
        if (signatureMatches(signatureToken(secret, found.keyHash), request, algorithm)) {
          await touch(found.id, now);
          const { keyHash: _hash, ...key } = found;
          return { ok: true, key };
        }
      }
      return { ok: false, reason: 'refused' };
    },

    /** Each working key's YOURLS signature token, by key id; null without ADMIN_PASSWORD. */
    async signatureTokens(): Promise<Map<number, string> | null> {
      if (secret === null) return null;
      const usable = await deps.keys.listUsableKeysWithHashes(deps.now());
      return new Map(usable.map((k) => [k.id, signatureToken(secret, k.keyHash)]));
    },

    async listKeys(): Promise<ApiKey[]> {
      return deps.keys.listKeys();
    },

    async revokeKey(name: string): Promise<boolean> {
      return deps.keys.revokeKey(name, deps.now());
    },

    async hasUsableKey(): Promise<boolean> {
      return (await deps.keys.countUsableKeys(deps.now())) > 0;
    },
  };
}
