import { describe, expect, it } from 'vitest';
import {
  hashPassword,
  passwordProblem,
  PASSWORD_MAX_BYTES,
  unlocks,
  unlockValue,
  verifyPassword,
} from '../../src/links/link-password.js';
import { basicPassword } from '../../src/links/password-gate.js';

const KEY = Buffer.alloc(32, 7);
const NOW = 1_800_000_000;

describe('link passwords', () => {
  it('when a password is hashed, then the hash is salted scrypt with its parameters, and only that password verifies', async () => {
    const hash = await hashPassword('open sesame');
    expect(hash).toMatch(/^scrypt\$15\$8\$1\$[A-Za-z0-9_-]{22}\$[A-Za-z0-9_-]{43}$/);
    expect(hash).not.toContain('sesame');
    expect(await hashPassword('open sesame')).not.toBe(hash);
    expect(await verifyPassword('open sesame', hash)).toBe(true);
    expect(await verifyPassword('open sesamE', hash)).toBe(false);
    expect(await verifyPassword('', hash)).toBe(false);
  });

  it('when a stored hash is malformed or asks for too much memory, then nothing verifies and nothing throws', async () => {
    const hash = await hashPassword('x');
    const [, , r, p, salt, key] = hash.split('$');
    for (const stored of [
      '',
      'plain text',
      hash.replace('scrypt', 'bcrypt'),
      `scrypt$30$${r}$${p}$${salt}$${key}`,
      `scrypt$15$${r}$${p}$${salt}`,
      `scrypt$x$${r}$${p}$${salt}$${key}`,
      `scrypt$15$${r}$${p}$$${key}`,
    ]) {
      expect(await verifyPassword('x', stored)).toBe(false);
    }
  });

  it('when a password is checked, then 1 to 1,024 bytes of text without control characters pass', () => {
    expect(passwordProblem('a')).toBeNull();
    expect(passwordProblem('é'.repeat(PASSWORD_MAX_BYTES / 2))).toBeNull();
    expect(passwordProblem('a'.repeat(PASSWORD_MAX_BYTES))).toBeNull();
    expect(passwordProblem('pass phrase with spaces ☂')).toBeNull();
    for (const bad of [
      '',
      'a'.repeat(PASSWORD_MAX_BYTES + 1),
      'é'.repeat(PASSWORD_MAX_BYTES / 2) + 'a',
      'tab\there',
      'line\nbreak',
      'nul\u0000',
      'del\u007f',
      'c1\u0085',
      'lone \ud800 surrogate',
    ]) {
      expect(passwordProblem(bad), JSON.stringify(bad)).not.toBeNull();
    }
  });

  it('when an unlock cookie is made, then it unlocks that link with that password hash until it expires, and nothing else', () => {
    const link = { id: 4, code: 'locked', passwordHash: 'scrypt$15$8$1$a$b' };
    const value = unlockValue(KEY, link, NOW + 60);
    expect(value).toMatch(/^locked\.\d+\.[A-Za-z0-9_-]{43}$/);
    expect(unlocks(KEY, value, link, NOW)).toBe(true);
    expect(unlocks(KEY, value, link, NOW + 60)).toBe(false);
    expect(unlocks(Buffer.alloc(32, 8), value, link, NOW)).toBe(false);
    expect(unlocks(KEY, value, { ...link, passwordHash: 'scrypt$15$8$1$a$c' }, NOW)).toBe(false);
    expect(unlocks(KEY, value, { ...link, id: 5 }, NOW)).toBe(false);
    expect(unlocks(KEY, value, { ...link, code: 'other' }, NOW)).toBe(false);
    // More than a day ahead is not a cookie snip made.
    expect(unlocks(KEY, unlockValue(KEY, link, NOW + 86_401), link, NOW)).toBe(false);
  });

  it('when Basic auth is read, then the password follows the first colon, whatever the user name', () => {
    const basic = (text: string) => `Basic ${Buffer.from(text).toString('base64')}`;
    expect(basicPassword(undefined)).toBeNull();
    expect(basicPassword('Bearer abc')).toBeNull();
    expect(basicPassword(basic('user:pass:word'))).toBe('pass:word');
    expect(basicPassword(basic(':secret'))).toBe('secret');
    expect(basicPassword(basic('no colon'))).toBeUndefined();
    expect(basicPassword('Basic !!!')).toBeUndefined();
  });
});
