import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  createManageToken,
  hashManageToken,
  MANAGE_TOKEN_PATTERN,
  tokenMatches,
} from '../../src/links/manage-token.js';

describe('management tokens', () => {
  it('when a token is made, then it has 192 random bits as 32 base64url characters and only its SHA-256 is kept', () => {
    const { token, hash } = createManageToken();
    expect(token).toMatch(MANAGE_TOKEN_PATTERN);
    expect(Buffer.from(token, 'base64url')).toHaveLength(24);
    expect(hash.equals(createHash('sha256').update(token).digest())).toBe(true);
    expect(hashManageToken(token).equals(hash)).toBe(true);
    const others = new Set(Array.from({ length: 100 }, () => createManageToken().token));
    expect(others.size).toBe(100);
    expect(others.has(token)).toBe(false);
  });

  it.each([
    ['31 characters', 'A'.repeat(31)],
    ['33 characters', 'A'.repeat(33)],
    ['a valid token with a suffix', `${'A'.repeat(32)}/x`],
    ['a valid token with a prefix', `x${'A'.repeat(32)}`],
    ['standard base64 characters', `${'A'.repeat(30)}+/`],
  ])('when a token has %s, then it is not one snip makes', (_, token) => {
    expect(MANAGE_TOKEN_PATTERN.test(token)).toBe(false);
  });

  it('when the stored hash is the token’s own, then it matches', () => {
    const { token, hash } = createManageToken();
    expect(tokenMatches(token, hash)).toBe(true);
  });

  it.each([
    ['another token’s hash', () => createManageToken().hash],
    [
      'the hash of the token with one character changed',
      (token: string) => hashManageToken(`${token.slice(0, -1)}${token.endsWith('A') ? 'B' : 'A'}`),
    ],
    ['the token itself instead of its hash', (token: string) => Buffer.from(token)],
    ['an all-zero hash', () => Buffer.alloc(32)],
    ['a hash cut to 31 bytes', (token: string) => hashManageToken(token).subarray(0, 31)],
    ['an empty hash', () => Buffer.alloc(0)],
    [
      'a hash with a byte too many',
      (token: string) => Buffer.concat([hashManageToken(token), Buffer.alloc(1)]),
    ],
    ['no hash (a deleted link)', () => null],
  ])('when the stored hash is %s, then the token does not match', (_, stored) => {
    const { token } = createManageToken();
    expect(tokenMatches(token, stored(token))).toBe(false);
  });
});
