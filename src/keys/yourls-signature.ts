import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

/**
 * YOURLS's time-limited login (`timestamp` and `signature`, ADR 041). YOURLS gives each user a
 * token of 10 hex characters and takes `hash(timestamp . token)` or `hash(token . timestamp)`
 * for a timestamp within 12 hours of its clock. snip derives each key's token from a secret the
 * database does not hold (ADMIN_PASSWORD) and the key's stored hash, so that a copy of the
 * database computes no token, and a new admin password replaces every token.
 */

/** What ADMIN_PASSWORD is keyed with, so that the secret serves nothing else. */
const SECRET_LABEL = 'snip YOURLS signature';
/** YOURLS 1.10.4's token: `substr(yourls_salt($username), 0, 10)`. */
export const SIGNATURE_TOKEN_LENGTH = 10;
/** YOURLS_NONCE_LIFE: a timestamp may be this far from the clock, either way (not as far). */
export const NONCE_LIFE_SECONDS = 12 * 60 * 60;

/**
 * YOURLS's `hash` parameter names an algorithm of PHP's hash() (md5 when absent); snip takes md5
 * and the SHA family, by PHP's names, and refuses the others as an unknown one.
 */
const ALGORITHMS: Readonly<Record<string, string>> = {
  md5: 'md5',
  sha1: 'sha1',
  sha224: 'sha224',
  sha256: 'sha256',
  sha384: 'sha384',
  'sha512/224': 'sha512-224',
  'sha512/256': 'sha512-256',
  sha512: 'sha512',
  'sha3-224': 'sha3-224',
  'sha3-256': 'sha3-256',
  'sha3-384': 'sha3-384',
  'sha3-512': 'sha3-512',
};

/** The secret every token derives from; none without ADMIN_PASSWORD. Derived once, at start. */
export function signatureSecretOf(adminPassword: string | null): Buffer | null {
  if (adminPassword === null) return null;
  return createHmac('sha256', adminPassword).update(SECRET_LABEL).digest();
}

/** A key's YOURLS signature token: HMAC-SHA-256 of its stored hash, its first 10 hex characters. */
export function signatureToken(secret: Buffer, keyHash: Buffer): string {
  return createHmac('sha256', secret)
    .update(keyHash)
    .digest('hex')
    .slice(0, SIGNATURE_TOKEN_LENGTH);
}

export type SignedRequest = {
  /** Seconds since 1970, as the client's clock says. */
  timestamp: string;
  signature: string;
  /** YOURLS's `hash` parameter; md5 when absent. */
  hash: string | undefined;
};

/** A request's algorithm by Node's name; null for one snip does not take. */
export function signatureAlgorithm(hash: string | undefined): string | null {
  return Object.hasOwn(ALGORITHMS, hash ?? 'md5') ? ALGORITHMS[hash ?? 'md5']! : null;
}

/**
 * YOURLS's yourls_check_timestamp: `abs(now - timestamp) < YOURLS_NONCE_LIFE`, in whole seconds.
 * snip takes only digits (YOURLS reads a leading integer from anything, and hashes the rest).
 */
export function isFreshTimestamp(timestamp: string, nowMs: number): boolean {
  if (!/^\d{1,15}$/.test(timestamp)) return false;
  return Math.abs(Math.floor(nowMs / 1000) - Number(timestamp)) < NONCE_LIFE_SECONDS;
}

function equalInConstantTime(expected: string, given: Buffer): boolean {
  const wanted = Buffer.from(expected);
  return wanted.length === given.length && timingSafeEqual(wanted, given);
}

/** Whether `signature` is hash(timestamp . token) or hash(token . timestamp), as PHP writes it. */
export function signatureMatches(
  token: string,
  request: SignedRequest,
  algorithm: string,
): boolean {
  const given = Buffer.from(request.signature);
  const before = createHash(algorithm)
    .update(request.timestamp + token)
    .digest('hex');
  const after = createHash(algorithm)
    .update(token + request.timestamp)
    .digest('hex');
  // Both, always: which order matched takes no longer than a miss.
  const first = equalInConstantTime(before, given);
  const second = equalInConstantTime(after, given);
  return first || second;
}
