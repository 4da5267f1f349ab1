import { describe, it, expect } from 'vitest';
import { englishOf } from '../../src/i18n/catalog.js';
import { checkAlias as checkAliasSaying, RESERVED_WORDS } from '../../src/links/alias-policy.js';

/** The check, its message in English (as the APIs say it). */
function checkAlias(input: string) {
  const result = checkAliasSaying(input);
  return result.ok ? result : { ...result, message: englishOf(result.message) };
}

const CHARSET_RULE = /letters A–Z.*digits.*hyphens.*underscores/;
const LENGTH_RULE = /3 to 64 characters/;

describe('checkAlias', () => {
  it('row 42: when the alias is empty, then a code is generated instead', () => {
    expect(checkAlias('')).toEqual({ ok: true, alias: null });
  });

  it.each([
    ['three characters', 'abc'],
    ['64 characters', 'a'.repeat(64)],
    ['mixed case', 'MyLink'],
    ['digits only', '2024'],
    ['hyphens and underscores', 'spring-sale_2024'],
    ['a leading hyphen', '-abc'],
    ['a leading underscore', '_abc'],
    ['a reserved word with a suffix', 'admin-panel'],
    ['a reserved word with a prefix', 'my-api'],
    ['a word that only contains a reserved one', 'administrator'],
  ])('when the alias has %s, then it is accepted as typed', (_, alias) => {
    expect(checkAlias(alias)).toEqual({ ok: true, alias });
  });

  it.each([
    ['row 40: a path traversal', '../etc/passwd'],
    ['row 40: a slash', 'a/b'],
    ['row 40: an encoded slash', 'a%2Fb'],
    ['row 40: a dot', '.'],
    ['row 40: two dots', '..'],
    ['row 40: a space', 'a b'],
    ['row 40: a question mark', 'a?b'],
    ['row 40: a hash', 'a#b'],
    ['row 41: a Cyrillic look-alike letter', 'аdmin'],
    ['row 41: full-width letters', 'ａｄｍｉｎ'],
    ['row 41: an emoji', '🎉🎉🎉'],
    ['an emoji among letters', 'party🎉'],
    ['a backslash', 'a\\b'],
    ['a dot inside', 'a.b.c'],
    ['a plus (the preview suffix)', 'abc+'],
    ['a colon', 'a:bc'],
    ['an at sign', 'a@bc'],
    ['an ampersand', 'a&bc'],
    ['markup', '<script>'],
    ['a quote', 'ab"c'],
    ['a leading space (the caller trims, we do not)', ' abc'],
    ['a trailing newline', 'abc\n'],
    ['a NUL', 'abc\u0000'],
    ['a tab', 'a\tbc'],
    ['a zero-width space', 'ab\u200bc'],
    ['an RTL override', 'abc\u202e'],
    ['a combining accent', 'cafe\u0301'],
    ['an accented letter', 'café'],
    ['a Turkish dotless i', 'adm\u0131n'],
    ['a Kelvin sign that lowercases to k', '\u212Aey'],
    ['a dotted file name', 'favicon.ico'],
  ])('when the alias contains %s, then it is refused naming the allowed characters', (_, alias) => {
    const result = checkAlias(alias);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.message).toMatch(CHARSET_RULE);
  });

  it.each([
    ['one character', 'a'],
    ['two characters', 'ab'],
    ['row 42: 65 characters', 'a'.repeat(65)],
    ['1 000 characters', 'a'.repeat(1000)],
  ])('when the alias has %s, then it is refused naming the length rule', (_, alias) => {
    const result = checkAlias(alias);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.message).toMatch(LENGTH_RULE);
  });

  it.each([
    ['admin'],
    ['api'],
    ['static'],
    ['healthz'],
    ['shorten'],
    ['links'],
    ['ADMIN'],
    ['Admin'],
    ['aPi'],
    ['metrics'],
    ['manage'],
    ['preview'],
    ['login'],
    ['assets'],
    ['public'],
    ['health'],
    ['stats'],
    ['new'],
  ])('row 39: when the alias is “%s”, then it is refused as reserved', (alias) => {
    expect(checkAlias(alias)).toEqual({
      ok: false,
      message: `“${alias}” is reserved by snip. Choose another alias.`,
    });
  });

  it.each([['favicon.ico'], ['robots.txt'], ['.well-known'], ['sitemap.xml']])(
    'row 39: when the alias is the file name “%s”, then it is refused',
    (alias) => {
      expect(checkAlias(alias).ok).toBe(false);
    },
  );

  it('when every reserved word of three or more allowed characters is tried, then each is refused as reserved', () => {
    const checkable = RESERVED_WORDS.filter((word) => /^[a-z0-9_-]{3,64}$/.test(word));
    expect(checkable.length).toBeGreaterThan(20);
    for (const word of checkable) {
      expect(checkAlias(word)).toMatchObject({
        ok: false,
        message: expect.stringContaining('reserved'),
      });
      expect(checkAlias(word.toUpperCase())).toMatchObject({ ok: false });
    }
  });

  it('when the reserved list is inspected, then it is lowercase and holds every route snip serves', () => {
    for (const word of RESERVED_WORDS) expect(word).toBe(word.toLowerCase());
    expect(new Set(RESERVED_WORDS).size).toBe(RESERVED_WORDS.length);
    expect(RESERVED_WORDS).toEqual(
      expect.arrayContaining([
        'admin',
        'api',
        'static',
        'assets',
        'public',
        'healthz',
        'health',
        'metrics',
        'shorten',
        'links',
        'link',
        'manage',
        'preview',
        'login',
        'logout',
        'signin',
        'signout',
        'account',
        'settings',
        'about',
        'help',
        'terms',
        'privacy',
        'new',
        'create',
        'qr',
        'stats',
        's',
        'favicon.ico',
        'robots.txt',
        'sitemap.xml',
        'humans.txt',
        'security.txt',
        '.well-known',
        'apple-touch-icon.png',
        'manifest.webmanifest',
      ]),
    );
  });
});
