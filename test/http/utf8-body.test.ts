import { describe, expect, it } from 'vitest';
import { hasUtf8Query, isUtf8FormEncoded } from '../../src/http/utf8-body.js';

describe('form-encoded text must be UTF-8, escapes included', () => {
  it.each([
    ['plain ASCII', 'url=https%3A%2F%2Fa.example%2F&title=cafe', true],
    ['an escaped two-byte character', 'title=caf%C3%A9', true],
    ['an escaped four-byte character in lower case', 'title=%f0%9f%98%80', true],
    ['UTF-8 bytes as they are', 'title=café', true],
    ['a % that starts no escape', 'title=100%+sure&x=%zz&y=%', true],
    ['a lone % just before an escape', 'title=100%%C3%A9', true],
    ['an escaped Latin-1 byte', 'title=caf%E9', false],
    ['an escape cut in half', 'title=%C3', false],
    ['an escaped byte that never starts UTF-8', 'title=%FF', false],
    ['an escaped surrogate', 'title=%ED%A0%80', false],
    ['a character cut in two by a plain one', 'title=%C3x%A9', false],
  ])('%s: %s', (_what, text, expected) => {
    expect(isUtf8FormEncoded(Buffer.from(text))).toBe(expected);
  });

  it('refuses raw bytes that are not UTF-8', () => {
    expect(isUtf8FormEncoded(Buffer.from('title=caf\xe9', 'latin1'))).toBe(false);
  });

  it('reads a query string from the bytes Node keeps of a request line', () => {
    expect(hasUtf8Query('/yourls-api.php')).toBe(true);
    expect(hasUtf8Query('/yourls-api.php?title=caf%C3%A9')).toBe(true);
    expect(hasUtf8Query('/yourls-api.php?title=caf%E9')).toBe(false);
    expect(hasUtf8Query(Buffer.from('/y?title=café').toString('latin1'))).toBe(true);
    expect(hasUtf8Query('/y?title=caf\xe9')).toBe(false);
    // Only the query: a path's bytes are the router's business.
    expect(hasUtf8Query('/caf\xe9')).toBe(true);
    expect(hasUtf8Query('/caf\xe9?title=ok')).toBe(true);
  });
});
