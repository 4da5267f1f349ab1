import request from 'supertest';
import { afterEach, describe, expect, it } from 'vitest';
import { bookmarkletFor, firstHttpUrl, sharedUrlOf } from '../../src/links/shared-url.js';
import { buildTestApp, MANAGE_LOCATION, SAME_ORIGIN, type TestApp } from '../support/test-app.js';

/**
 * Where snip is used from other tools, on the public side: the home form filled from `?url=`
 * (the bookmarklet) and from the share target's `title`/`text`/`url`, the bookmarklet itself, and
 * the web app manifest every page links.
 */

let t: TestApp;
afterEach(() => t?.db.close());

/** The URL field's value attribute, as the page sends it (still HTML-escaped). */
function urlFieldValue(html: string): string | undefined {
  return /<input id="url" name="url"[^>]*?\svalue="([^"]*)"/.exec(html)?.[1];
}

describe('the URL the form starts with', () => {
  it.each([
    ['a URL in url', { url: 'https://a.example/x?y=1' }, 'https://a.example/x?y=1'],
    ['url with spaces around it', { url: '  http://a.example/  ' }, 'http://a.example/'],
    [
      'an http(s) url before text',
      { url: 'https://u.example/', text: 'https://t.example/' },
      'https://u.example/',
    ],
    [
      'Android: the title, then the URL, in text',
      { title: 'A page', text: 'A page https://a.example/p' },
      'https://a.example/p',
    ],
    [
      'text with the URL in a sentence',
      { text: 'Read this: https://a.example/p.' },
      'https://a.example/p',
    ],
    [
      'text with the URL in parentheses',
      { text: '(see https://a.example/p)' },
      'https://a.example/p',
    ],
    [
      'a parenthesis the URL opened',
      { text: 'https://w.example/A_(b)' },
      'https://w.example/A_(b)',
    ],
    [
      'the first of two URLs in text',
      { text: 'https://one.example/ https://two.example/' },
      'https://one.example/',
    ],
    [
      'an empty url and a URL in text',
      { url: '', text: 'https://a.example/' },
      'https://a.example/',
    ],
    [
      'a url that is not http(s), and text with one',
      { url: 'ftp://a.example/', text: 'https://t.example/' },
      'https://t.example/',
    ],
    ['a url that is not http(s), as typed', { url: 'javascript:alert(1)' }, 'javascript:alert(1)'],
    ['a url without a scheme, as typed', { url: 'a.example/x' }, 'a.example/x'],
    ['text without a URL', { title: 'Hello', text: 'just words' }, ''],
    [
      'a repeated url: the first',
      { url: ['https://1.example/', 'https://2.example/'] },
      'https://1.example/',
    ],
    ['nothing', {}, ''],
    ['a query that is not an object', 'url', ''],
  ])('%s', (_name, query, expected) => {
    expect(sharedUrlOf(query)).toBe(expected);
  });

  it('when text has no address that parses, then it gives none', () => {
    expect(firstHttpUrl('see http://')).toBe('');
    expect(firstHttpUrl('https://[::1')).toBe('');
  });
});

describe('GET / with ?url= and the share target', () => {
  it('when ?url= names a page, then the form shows it in the URL field, and nothing is made', async () => {
    t = buildTestApp();
    const res = await request(t.app)
      .get('/?url=' + encodeURIComponent('https://a.example/read?x=1&y=2'))
      .expect(200);
    expect(urlFieldValue(res.text)).toBe('https://a.example/read?x=1&amp;y=2');
    expect(res.headers['cache-control']).toBe('no-store');
    expect(t.countLinks()).toBe(0);
  });

  it('when the share target sends title, text and url (Android: the URL in text), then the field holds the URL, and nothing is made', async () => {
    t = buildTestApp();
    const res = await request(t.app)
      .get('/')
      .query({ title: 'An article', text: 'An article https://news.example/a/1', url: '' })
      .expect(200);
    expect(urlFieldValue(res.text)).toBe('https://news.example/a/1');
    expect(res.text).not.toContain('An article');
    expect(t.countLinks()).toBe(0);
  });

  it('when ?url= carries markup, then it is shown escaped, as typed, and nothing is made', async () => {
    t = buildTestApp();
    const res = await request(t.app)
      .get('/')
      .query({ url: '"><script>alert(1)</script>' })
      .expect(200);
    expect(res.text).not.toContain('<script>alert(1)');
    expect(urlFieldValue(res.text)).toBe('&#34;&gt;&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(t.countLinks()).toBe(0);
  });

  it('when ?url= is longer than a link may be, then it is shown as given and refused only when sent', async () => {
    t = buildTestApp({ MAX_URL_LENGTH: '100' });
    const long = `https://a.example/${'x'.repeat(200)}`;
    const res = await request(t.app).get('/').query({ url: long }).expect(200);
    expect(urlFieldValue(res.text)).toBe(long);
    expect(t.countLinks()).toBe(0);
    const sent = await request(t.app)
      .post('/shorten')
      .set(SAME_ORIGIN)
      .type('form')
      .send({ url: long });
    expect(sent.status).toBe(422);
    expect(t.countLinks()).toBe(0);
  });

  it('when the prefilled form is sent, then the link is made as from an empty form', async () => {
    t = buildTestApp();
    await request(t.app).get('/?url=https%3A%2F%2Fa.example%2F').expect(200);
    const res = await request(t.app)
      .post('/shorten')
      .set(SAME_ORIGIN)
      .type('form')
      .send({ url: 'https://a.example/' })
      .expect(303);
    expect(res.headers.location).toMatch(MANAGE_LOCATION);
    expect(t.countLinks()).toBe(1);
  });

  it('when HEAD or a repeated parameter asks, then the page still answers 200 and makes nothing', async () => {
    t = buildTestApp();
    await request(t.app).head('/?url=https%3A%2F%2Fa.example%2F').expect(200);
    const res = await request(t.app).get('/?url=a&url=b&text=c&text=d').expect(200);
    expect(urlFieldValue(res.text)).toBe('a');
    expect(t.countLinks()).toBe(0);
  });

  it('when shortening is private, then ?url= shows the page that says so, with no form and no bookmarklet', async () => {
    t = buildTestApp({ CREATE_ACCESS: 'private' });
    const res = await request(t.app).get('/?url=https%3A%2F%2Fa.example%2F').expect(200);
    expect(res.text).toContain('Shortening here is private');
    expect(res.text).not.toContain('id="url"');
    expect(res.text).not.toContain('javascript:');
    expect(t.countLinks()).toBe(0);
  });
});

describe('the bookmarklet', () => {
  it('is JavaScript that opens this snip’s form with the current page’s address', () => {
    expect(bookmarkletFor('https://s.example')).toBe(
      'javascript:void(location.href="https://s.example/?url="+encodeURIComponent(location.href))',
    );
  });

  it('when it runs on a page, then it goes to the form with that page’s address, encoded', () => {
    const code = decodeURIComponent(
      bookmarkletFor('https://s.example').slice('javascript:'.length),
    );
    const location = { href: 'https://a.example/p?q=1&r=2#top' };
    new Function('location', code)(location);
    expect(location.href).toBe(
      'https://s.example/?url=https%3A%2F%2Fa.example%2Fp%3Fq%3D1%26r%3D2%23top',
    );
  });

  it('when the home page is opened, then it offers the bookmarklet on BASE_URL, escaped in the attribute', async () => {
    t = buildTestApp({ BASE_URL: 'https://s.example' });
    const res = await request(t.app).get('/').expect(200);
    expect(res.text).toContain(
      '<a class="bookmarklet" href="javascript:void(location.href=&quot;https://s.example/?url=&quot;+encodeURIComponent(location.href))">Shorten with snip</a>',
    );
    expect(res.text).toContain('Drag this link to your bookmarks bar');
  });

  it('when there is no BASE_URL, then it names the host the page was asked for', async () => {
    t = buildTestApp();
    const res = await request(t.app).get('/').set('Host', 'short.example:8080').expect(200);
    expect(res.text).toContain(
      'href="javascript:void(location.href=&quot;http://short.example:8080/?url=&quot;',
    );
  });
});

describe('the web app manifest', () => {
  it('when it is asked for, then it is application/manifest+json with the icons, start_url and the share target', async () => {
    t = buildTestApp();
    const res = await request(t.app).get('/manifest.webmanifest').expect(200);
    expect(res.headers['content-type']).toBe('application/manifest+json; charset=utf-8');
    expect(res.headers['cache-control']).toBe('no-cache');
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    const manifest = JSON.parse(res.text) as Record<string, unknown>;
    expect(manifest).toEqual({
      name: 'snip',
      short_name: 'snip',
      description: 'snip — short links on your own server.',
      lang: 'en',
      dir: 'ltr',
      id: '/',
      start_url: '/',
      scope: '/',
      display: 'standalone',
      background_color: '#ffffff',
      theme_color: '#4338ca',
      icons: [
        {
          src: expect.stringMatching(/^\/static\/favicon\.[0-9a-f]{10}\.svg$/),
          sizes: 'any',
          type: 'image/svg+xml',
        },
        {
          src: expect.stringMatching(/^\/static\/icon-192\.[0-9a-f]{10}\.png$/),
          sizes: '192x192',
          type: 'image/png',
        },
        {
          src: expect.stringMatching(/^\/static\/icon-512\.[0-9a-f]{10}\.png$/),
          sizes: '512x512',
          type: 'image/png',
        },
      ],
      share_target: {
        action: '/',
        method: 'GET',
        enctype: 'application/x-www-form-urlencoded',
        params: { title: 'title', text: 'text', url: 'url' },
      },
    });
  });

  it('when a browser in Arabic or German asks for it, then its description, lang and dir are in that language', async () => {
    t = buildTestApp();
    const english = JSON.parse(
      (await request(t.app).get('/manifest.webmanifest').expect(200)).text,
    ) as Record<string, unknown>;
    for (const [header, lang, dir] of [
      ['ar', 'ar', 'rtl'],
      ['de-DE', 'de', 'ltr'],
    ]) {
      const res = await request(t.app)
        .get('/manifest.webmanifest')
        .set('Accept-Language', header!)
        .expect(200);
      expect(res.headers['content-language']).toBe(lang);
      expect(res.headers.vary).toMatch(/Accept-Language/);
      const manifest = JSON.parse(res.text) as Record<string, unknown>;
      expect(manifest).toMatchObject({ lang, dir, name: 'snip', start_url: '/' });
      expect(manifest.description).not.toBe(english.description);
    }
  });

  it('when its icons are fetched, then each is the image it says, at its size', async () => {
    t = buildTestApp();
    const manifest = JSON.parse((await request(t.app).get('/manifest.webmanifest')).text) as {
      icons: { src: string; sizes: string; type: string }[];
    };
    for (const icon of manifest.icons) {
      const res = await request(t.app).get(icon.src).buffer(true).expect(200);
      expect(res.headers['content-type']).toMatch(new RegExp(`^${icon.type.replace('+', '\\+')}`));
      const body = res.body as Buffer;
      if (icon.type === 'image/png') {
        // The PNG signature, then IHDR: width and height, big-endian.
        expect(body.subarray(1, 4).toString('latin1')).toBe('PNG');
        const [w, h] = icon.sizes.split('x').map(Number);
        expect([body.readUInt32BE(16), body.readUInt32BE(20)]).toEqual([w, h]);
      }
    }
  });

  it('when shortening is private, then the manifest has no share target', async () => {
    t = buildTestApp({ CREATE_ACCESS: 'private' });
    const res = await request(t.app).get('/manifest.webmanifest').expect(200);
    expect(JSON.parse(res.text)).not.toHaveProperty('share_target');
    expect(JSON.parse(res.text)).toHaveProperty('start_url', '/');
  });

  it.each(['/', '/privacy', '/does-not-exist'])(
    'when %s is opened, then its head links the manifest',
    async (path) => {
      t = buildTestApp();
      const res = await request(t.app).get(path);
      expect(res.text).toContain('<link rel="manifest" href="/manifest.webmanifest">');
    },
  );

  it('when a link is asked for under the manifest’s name, then it is refused: the name is reserved', async () => {
    t = buildTestApp();
    const res = await request(t.app)
      .post('/shorten')
      .set(SAME_ORIGIN)
      .type('form')
      .send({ url: 'https://a.example/', alias: 'manifest.webmanifest' });
    expect(res.status).toBe(422);
    expect(t.countLinks()).toBe(0);
  });
});
