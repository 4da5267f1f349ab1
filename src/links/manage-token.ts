import { randomBytes } from 'node:crypto';
import { hashSecret, secretMatches } from '../http/secret-hash.js';

/** 24 random bytes = 192 bits, written as 32 base64url characters. */
const TOKEN_BYTES = 24;
export const MANAGE_TOKEN_PATTERN = /^[A-Za-z0-9_-]{32}$/;

export type ManageToken = { token: string; hash: Buffer };

/** A new management token and the only thing snip keeps of it: its SHA-256. */
export function createManageToken(): ManageToken {
  const token = randomBytes(TOKEN_BYTES).toString('base64url');
  return { token, hash: hashManageToken(token) };
}

export const hashManageToken = hashSecret;

/** Whether a token is the one whose hash is stored; constant time, never true for a null hash. */
export const tokenMatches = secretMatches;
