import { describe, expect, it } from 'vitest';
import { englishOf, text, translator } from '../../src/i18n/catalog.js';

describe('wording a message', () => {
  const en = translator('en');
  const de = translator('de');
  const ar = translator('ar');

  it('when a message has no placeholder, then it is its own text', () => {
    expect(en('notFound.title')).toBe('Not found');
    expect(de('notFound.title')).not.toBe('Not found');
  });

  it('when a message has arguments, then each is written in, numbers in the language’s digits and grouping', () => {
    expect(en('layout.title', { page: 'Home' })).toBe('Home · snip');
    expect(en('linkForm.titleHint', { max: 1200 })).toContain('1,200');
    expect(de('linkForm.titleHint', { max: 1200 })).toContain('1.200');
  });

  it('when a message counts, then the language’s plural rules choose its form', () => {
    expect(en('time.inMinutes', { count: 1 })).toBe('in 1 minute');
    expect(en('time.inMinutes', { count: 5 })).toBe('in 5 minutes');
    // Portuguese counts 0 with 1 (CLDR), but says "0 visitas": its messages name zero.
    const pt = translator('pt-BR');
    expect(pt('admin.links.matching', { count: 0 })).toBe(
      pt('admin.links.matching', { count: 5 }).replace('5', '0'),
    );
    // Arabic has six forms: two is its own.
    expect(ar('time.inMinutes', { count: 2 })).not.toBe(ar('time.inMinutes', { count: 5 }));
  });

  it('when a message holds a tag, then t.html wraps its words and escapes the values, never the markup it was given', () => {
    const html = en.html('password.lede', {
      code: '/<b>&',
      c: (words) => `<code>${words}</code>`,
    });
    expect(html).toBe('Enter the password of <code>/&lt;b&gt;&amp;</code> to continue.');
  });

  it('when a value is missing, then wording fails loudly rather than printing a hole', () => {
    expect(() => en('layout.title')).toThrow();
    expect(() => en('layout.title', {})).toThrow(/page/);
  });

  it('when a service says a Text with a Text inside, then each is worded in the reader’s language, and the APIs get English', () => {
    const said = text('password.tooMany', { when: text('time.inSeconds', { count: 30 }) });
    expect(englishOf(said)).toBe(
      'Too many wrong passwords from your network for this link. Try again in 30 seconds.',
    );
    expect(de.say(said)).not.toContain('seconds');
    expect(de.say(said)).toContain('30');
  });

  it('when a key is in no catalog, then it shows as itself', () => {
    expect(en('no.such.key')).toBe('no.such.key');
  });

  it('when the same counted message is worded again, then the same words come back', () => {
    const first = en('yourLinks.visits', { count: 3 });
    expect(en('yourLinks.visits', { count: 3 })).toBe(first);
    expect(en('yourLinks.visits', { count: 1 })).not.toBe(first);
  });
});
