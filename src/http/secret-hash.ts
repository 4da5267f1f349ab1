import { createHash, timingSafeEqual } from 'node:crypto';

/**
 * Secrets snip hands out (management tokens, API keys) are stored only as their SHA-256: a
 * copy of the database unlocks nothing.
 */
export function hashSecret(secret: string): Buffer {
  return createHash('sha256').update(secret).digest();
}

/**
 * The row was found by its hash through an index; comparing the hashes again in constant time
 * makes the check independent of how the index compares blobs. A missing or malformed stored
 * hash never matches.
 */
export function secretMatches(secret: string, storedHash: Buffer | null): boolean {
  if (storedHash === null || storedHash.length !== 32) return false;
  return timingSafeEqual(hashSecret(secret), storedHash);
}
