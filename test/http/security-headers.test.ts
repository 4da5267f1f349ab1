import request from 'supertest';
import { afterEach, describe, expect, it } from 'vitest';
import { buildTestApp, SAME_ORIGIN, type TestApp } from '../support/test-app.js';

let t: TestApp;
afterEach(() => t.db.close());

async function pages(app: TestApp['app']): Promise<request.Response[]> {
  const created = await request(app)
    .post('/shorten')
    .set(SAME_ORIGIN)
    .type('form')
    .send({ url: 'https://a.example/', alias: 'sec-test' });
  return Promise.all([
    request(app).get('/'),
    request(app).get(created.headers.location!),
    request(app).get('/no-such-code'),
    request(app).post('/shorten').set(SAME_ORIGIN).type('form').send({ url: 'javascript:x' }),
    request(app).get('/%E0%A4%A'),
  ]);
}

describe('security headers', () => {
  it('when any page is served, then it has a strict CSP, frame denial, nosniff and no referrer', async () => {
    t = buildTestApp();
    for (const res of await pages(t.app)) {
      const csp = res.headers['content-security-policy'];
      expect(csp).toContain("default-src 'none'");
      expect(csp).toContain("script-src 'self'");
      expect(csp).toContain("style-src 'self'");
      expect(csp).toContain("frame-ancestors 'none'");
      expect(csp).toContain("form-action 'self'");
      expect(csp).not.toContain('unsafe-inline');
      expect(res.headers['x-frame-options']).toBe('DENY');
      expect(res.headers['x-content-type-options']).toBe('nosniff');
      expect(res.headers['referrer-policy']).toBe('no-referrer');
      expect(res.headers['x-powered-by']).toBeUndefined();
      expect(res.headers['x-request-id']).toBeTruthy();
    }
  });

  it('when any page is rendered, then it has no inline script, inline style or third-party origin', async () => {
    t = buildTestApp();
    for (const res of await pages(t.app)) {
      expect(res.text).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
      expect(res.text).not.toMatch(/\sstyle=/);
      expect(res.text).not.toMatch(/<style/);
      expect(res.text).not.toMatch(/(src|href)="https?:\/\/(?!a\.example)/);
    }
  });

  it('when BASE_URL is https, then pages send HSTS; over plain http they do not', async () => {
    t = buildTestApp({ BASE_URL: 'https://snip.example' });
    const hsts = (await request(t.app).get('/')).headers['strict-transport-security'] ?? '';
    const directives = new Map(
      hsts.split(';').map((part) => {
        const [name = '', value = ''] = part.trim().split('=');
        return [name.toLowerCase(), value];
      }),
    );
    // max-age=0 would tell browsers to forget HTTPS: at least a year, as preload lists ask.
    expect(Number(directives.get('max-age'))).toBeGreaterThanOrEqual(31_536_000);
    expect(directives.has('includesubdomains')).toBe(true);
    t.db.close();
    t = buildTestApp();
    expect((await request(t.app).get('/')).headers['strict-transport-security']).toBeUndefined();
  });

  it('when a proxy TRUST_PROXY trusts says the request came over HTTPS, then every cookie is Secure and HSTS is sent, without BASE_URL', async () => {
    const PASSWORD = 'correct horse battery staple';
    const cookiesAndHsts = async (forwardedProto: string) => {
      const https = { ...SAME_ORIGIN, 'X-Forwarded-Proto': forwardedProto };
      const created = await request(t.app)
        .post('/shorten')
        .set(https)
        .type('form')
        .send({ url: 'https://a.example/' })
        .expect(303);
      const manage = created.headers.location!.replace('?created=1', '');
      const remembered = (created.headers['set-cookie'] as unknown as string[])[0]!;
      const forgotten = await request(t.app)
        .post(`${manage}/delete`)
        .set({ ...https, Cookie: remembered.split(';')[0]! })
        .expect(303);
      const signedIn = await request(t.app)
        .post('/admin/sign-in')
        .set(https)
        .type('form')
        .send({ password: PASSWORD })
        .expect(303);
      const session = (signedIn.headers['set-cookie'] as unknown as string[])[0]!;
      const signedOut = await request(t.app)
        .post('/admin/sign-out')
        .set({ ...https, Cookie: session.split(';')[0]! })
        .expect(303);
      const cookies = [
        remembered,
        session,
        ...[forgotten, signedOut].map(
          (res) => (res.headers['set-cookie'] as unknown as string[])[0]!,
        ),
      ];
      expect(cookies.map((cookie) => cookie.split('=')[0])).toEqual([
        'snip_links',
        'snip_admin',
        'snip_links',
        'snip_admin',
      ]);
      const hsts = (await request(t.app).get('/').set(https)).headers['strict-transport-security'];
      return { secure: cookies.map((cookie) => /;\s*Secure\b/i.test(cookie)), hsts };
    };

    t = buildTestApp({ TRUST_PROXY: 'loopback', ADMIN_PASSWORD: PASSWORD });
    const behindProxy = await cookiesAndHsts('https');
    expect(behindProxy.secure).toEqual([true, true, true, true]);
    expect(behindProxy.hsts).toMatch(/max-age=31536000; includeSubDomains/);
    // The proxy says plain http: nothing is pinned to HTTPS.
    const plain = await cookiesAndHsts('http');
    expect(plain.secure).toEqual([false, false, false, false]);
    expect(plain.hsts).toBeUndefined();
    t.db.close();
    // Without TRUST_PROXY, anyone can send the header: it changes nothing.
    t = buildTestApp({ ADMIN_PASSWORD: PASSWORD });
    const untrusted = await cookiesAndHsts('https');
    expect(untrusted.secure).toEqual([false, false, false, false]);
    expect(untrusted.hsts).toBeUndefined();
  });

  it('when an error page is shown for a 5xx, then it carries the request id and no stack trace', async () => {
    t = buildTestApp();
    t.db.close();
    const res = await request(t.app)
      .post('/shorten')
      .set(SAME_ORIGIN)
      .type('form')
      .send({ url: 'https://a.example/' });
    expect(res.status).toBe(500);
    expect(res.text).toContain(res.headers['x-request-id']);
    expect(res.text).not.toMatch(/\n\s+at /);
    expect(res.text).not.toContain('database connection is not open');
    t = buildTestApp();
  });
});

describe('static files', () => {
  it('when a page links its stylesheet, script and icon, then each is served by hash with year-long caching', async () => {
    t = buildTestApp();
    const home = await request(t.app).get('/');
    const urls = [...home.text.matchAll(/(?:href|src)="(\/static\/[^"]+)"/g)].map((m) => m[1]!);
    expect(urls).toHaveLength(3);
    for (const url of urls) {
      expect(url).toMatch(/^\/static\/(app\.[0-9a-f]{10}\.(css|js)|favicon\.[0-9a-f]{10}\.svg)$/);
      const res = await request(t.app).get(url).expect(200);
      expect(res.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    }
  });

  it('when an unknown or unhashed static file is asked for, then 404', async () => {
    t = buildTestApp();
    await request(t.app).get('/static/app.css').expect(404);
    await request(t.app).get('/static/../package.json').expect(404);
  });
});

describe('caching of pages whose meaning can change', () => {
  it('when the home, management, delete, preview, 410, 404 and error pages are served, then each says no-store', async () => {
    t = buildTestApp();
    const created = await request(t.app)
      .post('/shorten')
      .set(SAME_ORIGIN)
      .type('form')
      .send({ url: 'https://a.example/', alias: 'cache-test' })
      .expect(303);
    const manage = created.headers.location!.replace('?created=1', '');
    const cookie = created.headers['set-cookie']!;
    const answers: [string, request.Response][] = [
      ['home', await request(t.app).get('/').set('Cookie', cookie)],
      ['management', await request(t.app).get(manage)],
      ['delete confirmation', await request(t.app).get(`${manage}/delete`)],
      ['preview', await request(t.app).get('/cache-test+')],
      ['404', await request(t.app).get('/no-such-code')],
      ['400', await request(t.app).get('/%E0%A4%A')],
      [
        'refused form',
        await request(t.app).post('/shorten').set(SAME_ORIGIN).type('form').send({ url: 'x:y' }),
      ],
    ];
    await request(t.app).post(`${manage}/disable`).set(SAME_ORIGIN).expect(303);
    answers.push(['410', await request(t.app).get('/cache-test')]);
    for (const [name, res] of answers) {
      expect(res.headers['cache-control'], name).toBe('no-store');
    }
    expect(answers.map(([, res]) => res.status)).toEqual([200, 200, 200, 200, 404, 400, 422, 410]);
  });

  it('when the home page lists this browser’s links from its cookie, then caches must key it by Cookie', async () => {
    t = buildTestApp();
    const res = await request(t.app).get('/').expect(200);
    expect(res.headers.vary).toMatch(/\bCookie\b/);
  });
});

describe('robots.txt', () => {
  it('when a crawler asks, then it may not crawl management pages, the admin or previews', async () => {
    t = buildTestApp();
    const res = await request(t.app).get('/robots.txt').expect(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain/);
    const rules = res.text.split('\n');
    expect(rules[0]).toBe('User-agent: *');
    expect(rules).toEqual(
      expect.arrayContaining(['Disallow: /manage/', 'Disallow: /admin', 'Disallow: /*+$']),
    );
  });
});
