import { englishOf } from '../../src/i18n/catalog.js';
import { describe, expect, it } from 'vitest';
import { cleanText, textProblem } from '../../src/links/link-text.js';
import { mergeUtm, NO_UTM, parseUtmFields, splitUtm, type Utm } from '../../src/links/utm.js';

const utm = (fields: Partial<Utm>): Utm => ({ ...NO_UTM, ...fields });

describe('the UTM builder', () => {
  it('when fields are filled, then they are added after the query, before the fragment, encoded', () => {
    expect(
      mergeUtm(
        'https://a.example/p?x=1&y=a%20b#top',
        utm({ utm_source: 'news letter', utm_campaign: 'spring&sale' }),
      ),
    ).toBe(
      'https://a.example/p?x=1&y=a%20b&utm_source=news%20letter&utm_campaign=spring%26sale#top',
    );
    expect(mergeUtm('https://a.example/', utm({ utm_medium: 'email' }))).toBe(
      'https://a.example/?utm_medium=email',
    );
  });

  it('when no field is filled, then the URL is left exactly as it is', () => {
    expect(mergeUtm('https://a.example/?b=+&a', NO_UTM)).toBe('https://a.example/?b=+&a');
  });

  it('when a field is filled and the URL has that parameter, then the field replaces every one of it', () => {
    expect(
      mergeUtm(
        'https://a.example/?utm_source=old&k=v&utm_source=older&utm_medium=keep',
        utm({ utm_source: 'new' }),
      ),
    ).toBe('https://a.example/?k=v&utm_medium=keep&utm_source=new');
  });

  it('when a target is split, then the URL loses its UTM parameters and the fields hold them decoded', () => {
    expect(
      splitUtm('https://a.example/p?x=1&utm_source=news%20letter&utm_term=a+b&y=2#frag'),
    ).toEqual({
      url: 'https://a.example/p?x=1&y=2#frag',
      utm: utm({ utm_source: 'news letter', utm_term: 'a b' }),
    });
    expect(splitUtm('https://a.example/?utm_content=x')).toEqual({
      url: 'https://a.example/',
      utm: utm({ utm_content: 'x' }),
    });
  });

  it('when split and merged again, then the same parameters come back', () => {
    const target =
      'https://a.example/p?x=1&utm_source=s&utm_medium=m&utm_campaign=c%26d&utm_term=t&utm_content=%C3%A9#f';
    const { url, utm: fields } = splitUtm(target);
    expect(url).toBe('https://a.example/p?x=1#f');
    expect(fields.utm_content).toBe('é');
    expect(mergeUtm(url, fields)).toBe(target);
  });

  it('when a UTM parameter cannot be a field as it is, then it stays in the URL', () => {
    const kept = [
      'https://a.example/?utm_source=a&utm_source=b', // given twice
      'https://a.example/?utm_source=%FF', // not UTF-8
      'https://a.example/?utm_source=%E2%80%8Bx', // invisible
      'https://a.example/?utm_source=', // empty
      `https://a.example/?utm_source=${'x'.repeat(201)}`, // too long
      'https://a.example/?utm_source=%20x', // would be trimmed
    ];
    for (const target of kept) expect(splitUtm(target)).toEqual({ url: target, utm: NO_UTM });
    // Only the one that cannot is kept; the others are split off.
    expect(splitUtm('https://a.example/?utm_source=%FF&utm_medium=m')).toEqual({
      url: 'https://a.example/?utm_source=%FF',
      utm: utm({ utm_medium: 'm' }),
    });
  });

  it('when a form sends the fields, then they are trimmed, and bad ones get their field error', () => {
    expect(parseUtmFields({ utm_source: '  news ', other: 'x' })).toEqual({
      ok: true,
      utm: utm({ utm_source: 'news' }),
    });
    expect(parseUtmFields(undefined)).toEqual({ ok: true, utm: NO_UTM });
    const bad = parseUtmFields({
      utm_source: 'x'.repeat(201),
      utm_medium: 'a\tb',
      utm_campaign: ['a', 'b'],
      utm_term: 'ok',
      utm_content: 'x\u202e',
    });
    expect(bad.ok).toBe(false);
    if (bad.ok) return;
    expect(Object.keys(bad.errors).sort()).toEqual([
      'utm_campaign',
      'utm_content',
      'utm_medium',
      'utm_source',
    ]);
    expect(englishOf(bad.errors.utm_source!)).toMatch(/at most 200 characters/);
    expect(englishOf(bad.errors.utm_campaign!)).toBe('Send this field once.');
    // Exactly 200 characters is fine, counted as a reader counts them.
    expect(parseUtmFields({ utm_source: '😀'.repeat(200) }).ok).toBe(true);
  });
});

describe('texts an owner writes', () => {
  const title = { max: 200 };
  const note = { max: 1000, lines: true };

  it('when a text has control or invisible characters, then it is refused; emoji are fine', () => {
    for (const bad of [
      'a\nb',
      'a\tb',
      'a\u0000',
      'a\u007f',
      'a\u202eb',
      'a\u200bb',
      '\ufeffa',
      'a\u2028b',
      'a\ud800',
    ]) {
      expect(textProblem(bad, title, 'title')).toMatch(/control or invisible/);
    }
    for (const good of ['Spring sale 🌸', '👨‍👩‍👧 family', '❤️', 'Ünïcödé — “quoted”']) {
      expect(textProblem(good, title, 'title')).toBeNull();
    }
  });

  it('when a note has line breaks, then they are kept as \\n; other controls are still refused', () => {
    expect(cleanText(' one\r\ntwo\rthree \n', note)).toBe('one\ntwo\nthree');
    expect(textProblem('one\ntwo', note, 'note')).toBeNull();
    expect(textProblem('one\u0007two', note, 'note')).toMatch(/control or invisible/);
    expect(textProblem('one\ttwo', note, 'note')).toMatch(/control or invisible/);
  });

  it('when a text is longer than its bound, then it is refused, counted in characters', () => {
    expect(textProblem('x'.repeat(200), title, 'title')).toBeNull();
    expect(textProblem('x'.repeat(201), title, 'title')).toBe(
      'A title can have at most 200 characters.',
    );
    expect(textProblem('😀'.repeat(200), title, 'title')).toBeNull();
    expect(textProblem('x'.repeat(1001), note, 'note')).toBe(
      'A note can have at most 1,000 characters.',
    );
  });
});
