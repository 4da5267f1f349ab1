import request from 'supertest';
import { beforeAll, describe, expect, it } from 'vitest';
import { LANGUAGES, SOURCE_LANGUAGE } from '../../src/i18n/languages.js';
import { elementsOf, readCatalog } from './catalog-files.js';
import { buildTestApp, SAME_ORIGIN, signInAdmin, type TestApp } from '../support/test-app.js';

/**
 * Every page, rendered in each language but English, holds none of the English catalog's
 * sentences: a word left in a view or a message built in code without the catalog shows here.
 */

const ADMIN_PASSWORD = 'correct horse battery staple';

/** The runs of literal text of a message (between its placeholders), whitespace folded. */
function literalRuns(message: string): string[] {
  return elementsOf(message, 'en')
    .filter((element) => element.type === 0 && element.value)
    .map((element) => element.value!.replace(/\s+/g, ' ').trim());
}

/** What a person reads on a page: its text and the attributes read aloud or shown. */
function readableText(html: string): string {
  const attributes = [...html.matchAll(/\b(?:aria-label|title|placeholder|alt)="([^"]*)"/g)].map(
    (m) => m[1],
  );
  const text = html
    .replace(/<(script|style)\b[\s\S]*?<\/\1>/g, ' ')
    .replace(/<[^>]+>/g, ' ')
    .replace(/&#39;/g, "'")
    .replace(/&quot;/g, '"')
    .replace(/&amp;/g, '&');
  return `${text} ${attributes.join(' ')}`.replace(/\s+/g, ' ');
}

const english = readCatalog(SOURCE_LANGUAGE);
/** English sentences worth looking for: two words or more, ten characters or more. */
const sentences = Object.entries(english).flatMap(([key, message]) =>
  literalRuns(message)
    .filter((run) => run.length >= 10 && /\p{L}+\s+\p{L}+/u.test(run))
    .map((run) => ({ key, run })),
);

let t: TestApp;
let adminCookie = '';
let managePath = '';

async function pagesIn(tag: string): Promise<{ name: string; html: string }[]> {
  const paths = [
    ['home', '/'],
    ['manage', managePath],
    ['preview', '/page-check+'],
    ['password', '/locked-check'],
    ['not-found', '/no-such-link'],
    ['report', '/report/page-check'],
    ['privacy', '/privacy'],
    ['admin-sign-in', '/admin/sign-in'],
  ];
  const admin = [
    ['admin-links', '/admin'],
    ['admin-link', '/admin/links/page-check'],
    ['admin-new', '/admin/new'],
    ['admin-keys', '/admin/keys'],
    ['admin-domains', '/admin/domains'],
    ['admin-tags', '/admin/tags'],
    ['admin-reports', '/admin/reports'],
    ['admin-blocklist', '/admin/blocklist'],
    ['admin-import', '/admin/import'],
    ['admin-stats', '/admin/stats'],
  ];
  const pages = [];
  for (const [name, where] of paths) {
    const res = await request(t.app).get(where!).set('Accept-Language', tag);
    pages.push({ name: name!, html: res.text });
  }
  for (const [name, where] of admin) {
    const res = await request(t.app)
      .get(where!)
      .set('Accept-Language', tag)
      .set('Cookie', adminCookie);
    expect(res.status, name).toBe(200);
    pages.push({ name: name!, html: res.text });
  }
  // A refused form: the link form's messages.
  const refused = await request(t.app)
    .post('/shorten')
    .set(SAME_ORIGIN)
    .set('Accept-Language', tag)
    .type('form')
    .send({ url: 'not a url', alias: 'x' });
  pages.push({ name: 'home, refused', html: refused.text });
  return pages;
}

describe('the pages in each language', () => {
  beforeAll(async () => {
    t = buildTestApp({ ADMIN_PASSWORD, BASE_URL: 'https://snip.example' });
    const made = await request(t.app)
      .post('/shorten')
      .set(SAME_ORIGIN)
      .type('form')
      .send({ url: 'https://example.com/a', alias: 'page-check', tags: 'news' })
      .expect(303);
    managePath = new URL(made.headers.location!, 'https://snip.example').pathname;
    await request(t.app)
      .post('/shorten')
      .set(SAME_ORIGIN)
      .type('form')
      .send({ url: 'https://example.com/b', alias: 'locked-check', password: 'open sesame' })
      .expect(303);
    adminCookie = await signInAdmin(t.app, ADMIN_PASSWORD);
  });

  const others = LANGUAGES.filter((l) => l.tag !== SOURCE_LANGUAGE);
  it.each(others.map((l) => [l.tag]))(
    'when every page is rendered in %s, then none holds a sentence of the English catalog',
    async (tag) => {
      const own = readCatalog(tag);
      const leftovers: string[] = [];
      for (const page of await pagesIn(tag)) {
        const text = readableText(page.html);
        for (const { key, run } of sentences) {
          // A run the translation keeps as it is (a name, a notation) is not a leftover.
          if (own[key]!.includes(run)) continue;
          if (text.includes(run)) leftovers.push(`${page.name}: ${key}: “${run}”`);
        }
      }
      expect(leftovers).toEqual([]);
    },
  );
});
