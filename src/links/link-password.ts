import { text, type Text } from '../i18n/catalog.js';
import { createHash, createHmac, randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { SNIP_COOKIES } from '../http/cookies.js';

/**
 * A link's password: how it is checked, stored and proved afterwards (ADR 027).
 *
 * Stored only as `scrypt$<log2 N>$<r>$<p>$<salt>$<hash>` (salt and hash in base64url): scrypt
 * from node:crypto with N = 2^15, r = 8, p = 1 (32 MiB and a few tens of milliseconds per check),
 * a random 16-byte salt and a 32-byte result, compared with timingSafeEqual. The parameters
 * are read back from each stored hash, so they can be raised later without a migration.
 */

/** The longest password, in bytes of UTF-8. */
export const PASSWORD_MAX_BYTES = 1024;

export const SCRYPT_PARAMETERS = { log2N: 15, r: 8, p: 1, keyLength: 32, saltLength: 16 } as const;
/** What a stored hash may ask for at most, so that a row edited by hand cannot exhaust memory. */
const MAX_LOG2_N = 20;
const MAX_MEMORY = 256 * 1024 * 1024;

/**
 * A form's `password` field: at most one string, '' (or absent) for none. Its rules (length,
 * control characters) are the link service's (passwordProblem), the same in every door.
 */
export const PasswordFieldSchema = z.object({
  password: z.string().optional().default(''),
});

/** Half of a UTF-16 pair with no other half: not text, and no UTF-8 for it. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Why a password cannot be stored, or null when it can. */
export function passwordProblem(password: string): Text | null {
  if (password.length === 0) return text('links.password.empty');
  if (LONE_SURROGATE.test(password)) return text('links.password.notText');
  if (Buffer.byteLength(password, 'utf8') > PASSWORD_MAX_BYTES) {
    return text('links.password.tooLong', { max: PASSWORD_MAX_BYTES });
  }
  if (/\p{Cc}/u.test(password)) return text('links.password.control');
  return null;
}

function derive(
  password: string,
  salt: Buffer,
  params: { log2N: number; r: number; p: number; keyLength: number },
): Promise<Buffer> {
  const N = 2 ** params.log2N;
  return new Promise((resolve, reject) => {
    scrypt(
      Buffer.from(password, 'utf8'),
      salt,
      params.keyLength,
      { N, r: params.r, p: params.p, maxmem: MAX_MEMORY },
      (error, key) => (error ? reject(error) : resolve(key)),
    );
  });
}

/** The stored form of a password (checked by passwordProblem first). */
export async function hashPassword(password: string): Promise<string> {
  const { log2N, r, p, saltLength } = SCRYPT_PARAMETERS;
  const salt = randomBytes(saltLength);
  const hash = await derive(password, salt, SCRYPT_PARAMETERS);
  return ['scrypt', log2N, r, p, salt.toString('base64url'), hash.toString('base64url')].join('$');
}

/** Whether `password` is the one `stored` was made from; false for anything malformed. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const parts = stored.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return false;
  const [log2N, r, p] = parts.slice(1, 4).map(Number) as [number, number, number];
  const salt = Buffer.from(parts[4]!, 'base64url');
  const expected = Buffer.from(parts[5]!, 'base64url');
  const sane =
    [log2N, r, p].every((n) => Number.isSafeInteger(n) && n >= 1) &&
    log2N <= MAX_LOG2_N &&
    128 * r * 2 ** log2N <= MAX_MEMORY / 2 &&
    p <= 16 &&
    salt.length >= 8 &&
    expected.length >= 16 &&
    expected.length <= 64;
  if (!sane || Buffer.byteLength(password, 'utf8') > PASSWORD_MAX_BYTES) return false;
  const actual = await derive(password, salt, { log2N, r, p, keyLength: expected.length });
  return timingSafeEqual(actual, expected);
}

/** The cookie that unlocks one protected link in one browser. */
export const UNLOCK_COOKIE = SNIP_COOKIES.unlock.name;
/** How long an unlock lasts: a day at most. */
export const UNLOCK_SECONDS = SNIP_COOKIES.unlock.maxAgeSeconds;

/**
 * The signature of an unlock: HMAC-SHA256 under the signing key of the link's code and id, the
 * expiry, and a digest of the stored password hash. A new password has a new salt and so a new
 * hash: every cookie issued before it, or before the password was removed, no longer verifies.
 */
function unlockSignature(
  key: Buffer,
  link: { id: number; code: string; passwordHash: string },
  expires: number,
): Buffer {
  const generation = createHash('sha256').update(link.passwordHash).digest('base64url');
  return createHmac('sha256', key)
    .update(`snip-unlock\n${link.code}\n${link.id}\n${expires}\n${generation}`)
    .digest();
}

/** The cookie's value for `link`, valid until `expires` (epoch seconds): code, expiry, signature. */
export function unlockValue(
  key: Buffer,
  link: { id: number; code: string; passwordHash: string },
  expires: number,
): string {
  return `${link.code}.${expires}.${unlockSignature(key, link, expires).toString('base64url')}`;
}

/** Whether a cookie value unlocks this link now (its code, its password, not expired, signed). */
export function unlocks(
  key: Buffer,
  value: string,
  link: { id: number; code: string; passwordHash: string },
  nowSeconds: number,
): boolean {
  const match = /^([A-Za-z0-9_-]{1,64})\.(\d{1,12})\.([A-Za-z0-9_-]{43})$/.exec(value);
  if (!match || match[1] !== link.code) return false;
  const expires = Number(match[2]);
  if (expires <= nowSeconds || expires > nowSeconds + UNLOCK_SECONDS) return false;
  const given = Buffer.from(match[3]!, 'base64url');
  const expected = unlockSignature(key, link, expires);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/** A fresh signing key, as generated once and kept in the database. */
export function newSigningKey(): string {
  return randomBytes(32).toString('base64url');
}
