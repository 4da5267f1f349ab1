import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** 24 random bytes = 192 bits, written as 32 base64url characters. */
const TOKEN_BYTES = 24;
export const MANAGE_TOKEN_PATTERN = /^[A-Za-z0-9_-]{32}$/;

export type ManageToken = { token: string; hash: Buffer };

/** A new management token and the only thing snip keeps of it: its SHA-256. */
export function createManageToken(): ManageToken {
  const token = randomBytes(TOKEN_BYTES).toString('base64url');
  return { token, hash: hashManageToken(token) };
}

export function hashManageToken(token: string): Buffer {
  return createHash('sha256').update(token).digest();
}

/**
 * The row was found by its hash through an index; comparing the hashes again in constant time
 * makes the check independent of how the index compares blobs.
 */
export function tokenMatches(token: string, storedHash: Buffer | null): boolean {
  if (storedHash === null || storedHash.length !== 32) return false;
  return timingSafeEqual(hashManageToken(token), storedHash);
}
