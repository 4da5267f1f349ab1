import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { preferredLanguage, supportedLanguage } from '../../src/i18n/languages.js';
import { buildTestApp } from '../support/test-app.js';

describe('which language a header or a tag names', () => {
  it('when a tag is exact, a region snip lacks, or only a primary subtag, then the nearest language snip has answers', () => {
    expect(supportedLanguage('en')).toBe('en');
    expect(supportedLanguage('EN-gb')).toBe('en');
    expect(supportedLanguage('xx')).toBeUndefined();
    expect(supportedLanguage('')).toBeUndefined();
    expect(supportedLanguage('e n')).toBeUndefined();
    expect(supportedLanguage('en-'.padEnd(8000, 'a'))).toBeUndefined();
  });

  it('when a region or script snip lacks is asked for, then its language answers: pt-PT → pt-BR, zh-CN → zh-Hans, de-AT → de', () => {
    expect(supportedLanguage('pt-PT')).toBe('pt-BR');
    expect(supportedLanguage('pt')).toBe('pt-BR');
    expect(supportedLanguage('zh-CN')).toBe('zh-Hans');
    expect(supportedLanguage('zh')).toBe('zh-Hans');
    expect(supportedLanguage('de-AT')).toBe('de');
    expect(supportedLanguage('AR-eg')).toBe('ar');
  });

  it('when Accept-Language weighs its ranges, then the best one snip has wins; q=0 refuses a range', () => {
    expect(preferredLanguage('fr-CH, fr;q=0.9, en;q=0.8, de;q=0.7, *;q=0.5')).toBe('fr');
    expect(preferredLanguage('de;q=0.5, ja;q=0.9')).toBe('ja');
    expect(preferredLanguage('da, ar;q=0.3, es;q=0.3')).toBe('ar');
    expect(preferredLanguage('ja;q=0, es')).toBe('es');
    expect(preferredLanguage('xx, en;q=0.1')).toBe('en');
    expect(preferredLanguage('en;q=0')).toBeUndefined();
    expect(preferredLanguage('*')).toBeUndefined();
    expect(preferredLanguage(undefined)).toBeUndefined();
  });

  it('when Accept-Language is malformed or huge, then it names nothing and nothing throws', () => {
    for (const header of [
      ';;;,,,',
      'en;q=2',
      'en;q=abc',
      'en;q=0.5;q',
      '\u0000en',
      'en-US-'.repeat(2000),
      ','.repeat(10_000),
      'a'.repeat(8192),
    ]) {
      expect(() => preferredLanguage(header)).not.toThrow();
    }
    expect(preferredLanguage('en;q=2')).toBeUndefined();
    expect(preferredLanguage('a'.repeat(8192))).toBeUndefined();
  });
});

describe('the language of a page', () => {
  const app = () => buildTestApp({}).app;

  it('when a page is answered, then it says its language, in <html lang dir> and Content-Language, and varies on the header and the cookie', async () => {
    const res = await request(app()).get('/');
    expect(res.status).toBe(200);
    expect(res.headers['content-language']).toBe('en');
    expect(res.headers.vary).toMatch(/Accept-Language/);
    expect(res.headers.vary).toMatch(/Cookie/);
    expect(res.text).toMatch(/<html lang="en" dir="ltr">/);
    expect(res.headers['set-cookie']).toBeUndefined();
  });

  it('when ?lang names a language, then the page is in it and a cookie keeps the choice for a year', async () => {
    const res = await request(app()).get('/?lang=en');
    expect(res.headers['content-language']).toBe('en');
    const cookie = String(res.headers['set-cookie']);
    expect(cookie).toMatch(
      /^snip_lang=en; Max-Age=31536000; Path=\/; Expires=[^;]+; HttpOnly; SameSite=Lax$/,
    );
  });

  it('when ?lang is 8 KB, unknown, malformed or repeated, then the page is answered in the default language with no error and no cookie', async () => {
    for (const lang of ['x'.repeat(8192), 'xx', 'en_US', '../../etc', '%00']) {
      const res = await request(app()).get('/').query({ lang });
      expect(res.status).toBe(200);
      expect(res.headers['content-language']).toBe('en');
      expect(res.headers['set-cookie']).toBeUndefined();
    }
    const twice = await request(app()).get('/?lang=en&lang=en');
    expect(twice.status).toBe(200);
    expect(twice.headers['content-language']).toBe('en');
  });

  it('when Accept-Language is malformed, then the page is answered in English with no error', async () => {
    for (const header of [';;;', 'q=1', 'en;q=', 'x'.repeat(8000)]) {
      const res = await request(app()).get('/').set('Accept-Language', header);
      expect(res.status).toBe(200);
      expect(res.headers['content-language']).toBe('en');
    }
  });

  it('when the browser prefers a language snip has, then the page is in it, right to left for Arabic', async () => {
    for (const [header, tag, dir] of [
      ['de-DE,de;q=0.9,en;q=0.8', 'de', 'ltr'],
      ['pt-PT', 'pt-BR', 'ltr'],
      ['zh-CN,zh;q=0.9', 'zh-Hans', 'ltr'],
      ['ar-SA', 'ar', 'rtl'],
      ['ja', 'ja', 'ltr'],
    ] as const) {
      const res = await request(app()).get('/').set('Accept-Language', header);
      expect(res.headers['content-language'], header).toBe(tag);
      expect(res.text).toContain(`<html lang="${tag}" dir="${dir}">`);
    }
  });

  it('when ?lang chose a language, then the cookie keeps it on the next page over the browser’s own', async () => {
    const chosen = await request(app()).get('/privacy?lang=fr').set('Accept-Language', 'de');
    expect(chosen.headers['content-language']).toBe('fr');
    const cookie = String(chosen.headers['set-cookie']).split(';')[0]!;
    expect(cookie).toBe('snip_lang=fr');
    const next = await request(app()).get('/').set('Cookie', cookie).set('Accept-Language', 'de');
    expect(next.headers['content-language']).toBe('fr');
    expect(next.headers.vary).toMatch(/Cookie/);
  });

  it('when DEFAULT_LANGUAGE is set, then it answers a browser that accepts none of snip’s languages, and a language snip has still wins', async () => {
    const german = buildTestApp({ DEFAULT_LANGUAGE: 'de' }).app;
    for (const header of [undefined, 'da, sv;q=0.8', 'xx', ';;']) {
      const req = request(german).get('/');
      const res = await (header === undefined ? req : req.set('Accept-Language', header));
      expect(res.headers['content-language'], String(header)).toBe('de');
    }
    const asked = await request(german).get('/').set('Accept-Language', 'es-MX');
    expect(asked.headers['content-language']).toBe('es');
  });

  it('when a cookie holds a language snip does not have, then it is ignored', async () => {
    const res = await request(app())
      .get('/')
      .set('Cookie', 'snip_lang=xx; other=1')
      .set('Accept-Language', 'ja');
    expect(res.headers['content-language']).toBe('ja');
  });

  it('when a link redirects, then no language work shows: no Content-Language, no Vary on Accept-Language', async () => {
    const t = buildTestApp({});
    const made = await request(t.app)
      .post('/shorten')
      .set('Sec-Fetch-Site', 'same-origin')
      .type('form')
      .send({ url: 'https://example.com/a' });
    expect(made.status).toBe(303);
    const code = t.lastCode()!;
    const res = await request(t.app).get(`/${code}`).set('Accept-Language', 'en');
    expect(res.status).toBe(302);
    expect(res.headers['content-language']).toBeUndefined();
    expect(res.headers.vary ?? '').not.toMatch(/Accept-Language/);
  });

  it('when DEFAULT_LANGUAGE names a language snip lacks, then the configuration is refused and says which it has', () => {
    expect(() => loadConfig({ DEFAULT_LANGUAGE: 'xx' })).toThrow(/DEFAULT_LANGUAGE.*en, de, fr/);
    expect(() => loadConfig({ DEFAULT_LANGUAGE: 'pt' })).toThrow(/DEFAULT_LANGUAGE/);
    expect(loadConfig({ DEFAULT_LANGUAGE: 'en' }).defaultLanguage).toBe('en');
    expect(loadConfig({ DEFAULT_LANGUAGE: 'pt-br' }).defaultLanguage).toBe('pt-BR');
  });
});
