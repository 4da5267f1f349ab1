import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { SNIP_COOKIES } from '../../src/http/cookies.js';
import type { GeoSource } from '../../src/privacy/privacy-facts.js';
import { countryLookupFor } from '../../src/stats/geo-country.js';
import { buildTestApp, createTempDir, SAME_ORIGIN } from '../support/test-app.js';

const ADMIN_PASSWORD = 'a long admin password';
const GEO: GeoSource = {
  name: 'geo-whois-asn-country',
  licence: 'CC BY 4.0',
  attribution: 'IP to country data by ip-location-db',
  url: 'https://github.com/sapics/ip-location-db',
};

/** The privacy page's text as a reader gets it: tags dropped, entities and spaces plain. */
/** The test app with the shipped country database, or with it named as `source`. */
function appWith(env: Record<string, string>, source?: GeoSource) {
  const shipped = countryLookupFor(null);
  return buildTestApp(env, source ? { countryLookup: { ...shipped, source } } : {});
}

async function privacyText(
  env: Record<string, string> = {},
  geoSource?: GeoSource,
): Promise<string> {
  const { app } = appWith(env, geoSource);
  const res = await request(app).get('/privacy').expect(200);
  expect(res.headers['content-type']).toMatch(/^text\/html/);
  return res.text
    .replace(/<[^>]+>/g, ' ')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, '&')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&#34;|&quot;/g, '"')
    .replace(/\s+/g, ' ');
}

/** Every cookie name in the Set-Cookie headers of an answer. */
function cookieNames(res: request.Response): string[] {
  const header = res.headers['set-cookie'] as unknown as string[] | undefined;
  return (header ?? []).map((cookie) => cookie.split('=')[0]!);
}

describe('the privacy page', () => {
  it('when /privacy is asked for, then a server-rendered page says what is never stored and what is, with no script needed', async () => {
    const { app } = buildTestApp();
    const res = await request(app).get('/privacy').expect(200);
    expect(res.text).toContain('<h1 class="page-title">Privacy</h1>');
    // The content is in the HTML itself: no script builds it.
    expect(res.text).not.toMatch(/<script(?![^>]*src=)/);
    const text = await privacyText();
    expect(text).toContain('No IP address of a visitor is stored.');
    expect(text).toContain('No User-Agent string of a visitor is stored.');
    expect(text).toContain('The number of visits per UTC day.');
    expect(text).toContain(
      'The number of requests for short codes that do not exist, per domain and UTC day',
    );
    expect(text).toContain('DNT: 1');
    expect(text).toContain('Sec-GPC: 1');
    expect(text).toContain('replaced every UTC day');
    expect(text).toContain('Known bots');
    for (const dimension of ['browser family', 'operating system family', 'device class']) {
      expect(text).toContain(dimension);
    }
    expect(text).toContain('first preferred language');
    expect(text).toContain('never its path or query');
  });

  it('when the home page or the 404 page is shown, then its footer links to /privacy', async () => {
    const { app } = buildTestApp();
    const footer =
      /<footer class="site-footer">[\s\S]*<a href="\/privacy">Privacy<\/a>[\s\S]*<\/footer>/;
    expect((await request(app).get('/').expect(200)).text).toMatch(footer);
    expect((await request(app).get('/no-such-link').expect(404)).text).toMatch(footer);
    expect((await request(app).get('/privacy').expect(200)).text).toMatch(footer);
  });

  it('when RATE_LIMITS is on or off, then the page says which limits count and what they keep', async () => {
    const on = await privacyText({ RATE_LIMITS: 'on', RATE_LIMIT_CREATE: '7/h' });
    expect(on).toContain(
      'Links created without an API key (form and API): 7 per hour per address.',
    );
    expect(on).toContain(
      'Wrong passwords for one password-protected link: 10 per 15 minutes per link and address.',
    );
    expect(on).toContain('Abuse reports: 10 per hour per address.');
    expect(on).toContain('kept in this server’s memory only');
    expect(on).not.toContain('Rate limits are off');

    const off = await privacyText({ RATE_LIMITS: 'off' });
    expect(off).toContain('Rate limits are off (RATE_LIMITS=off): nothing is counted per client.');
    expect(off).not.toContain('per hour per address');
    expect(off).not.toContain('kept in this server’s memory only');

    const offWithAdmin = await privacyText({ RATE_LIMITS: 'off', ADMIN_PASSWORD });
    expect(offWithAdmin).toContain('only admin sign-in attempts are counted');
    expect(offWithAdmin).toContain(
      'Admin sign-in attempts (always limited): 10 per 15 minutes per address.',
    );
  });

  it('when a country database is in use, then the page names it with its licence and attribution', async () => {
    // The database snip ships with, named as its licence asks.
    const shipped = await privacyText();
    expect(shipped).toContain(
      `Countries come from the ${countryLookupFor(null).source.name} database`,
    );

    const { app } = appWith({}, GEO);
    const html = (await request(app).get('/privacy').expect(200)).text;
    expect(html).toContain(`<a href="${GEO.url}" lang="en">${GEO.attribution}</a>`);
    const geo = await privacyText({}, GEO);
    expect(geo).toContain(`Countries come from the ${GEO.name} database (${GEO.licence}).`);
    expect(geo).toContain('The country (its ISO code)');
    expect(geo).toContain('in memory only, for the country lookup');
  });

  it('when LOG_LEVEL changes, then the page says what the log holds at that level', async () => {
    const info = await privacyText({ LOG_LEVEL: 'info' });
    expect(info).toContain('LOG_LEVEL is info.');
    expect(info).toContain(
      'It never holds an IP address, a User-Agent, a referrer, a cookie or the query string.',
    );
    expect(info).toContain('Most followed short links are answered before the request log');

    const debug = await privacyText({ LOG_LEVEL: 'debug' });
    expect(debug).toContain('LOG_LEVEL is debug.');
    expect(debug).toContain('At this level, followed short links are logged too');

    const warn = await privacyText({ LOG_LEVEL: 'warn' });
    expect(warn).toContain('At this level no line is written per request');

    expect(await privacyText({ LOG_LEVEL: 'silent' })).toContain(
      'LOG_LEVEL is silent: snip writes no log at all.',
    );
  });

  it('when TRUST_PROXY or Fly.io changes where the address comes from, then the page says so', async () => {
    for (const off of [{}, { TRUST_PROXY: 'false' }, { TRUST_PROXY: '0' }] as Record<
      string,
      string
    >[]) {
      expect(await privacyText(off)).toContain('X-Forwarded-For is ignored (TRUST_PROXY is off)');
    }
    expect(await privacyText({ TRUST_PROXY: '1' })).toContain(
      'the address X-Forwarded-For names 1 proxy back (TRUST_PROXY=1)',
    );
    expect(await privacyText({ TRUST_PROXY: 'loopback' })).toContain(
      'one of the trusted proxies (loopback)',
    );
    expect(await privacyText({ FLY_APP_NAME: 'snip' })).toContain('Fly-Client-IP');
  });

  it('when the server sets a cookie anywhere, then the page lists that cookie by name with its lifetime', async () => {
    const { app } = buildTestApp({ ADMIN_PASSWORD, ADMIN_SESSION_IDLE: '45min' });
    const page = (await request(app).get('/privacy').expect(200)).text;
    const set = new Set<string>();
    // The browser that creates a link, and then unlocks a protected one.
    const made = await request(app)
      .post('/shorten')
      .set(SAME_ORIGIN)
      .type('form')
      .send({ url: 'https://a.example/', alias: 'locked', password: 'open sesame' })
      .expect(303);
    cookieNames(made).forEach((name) => set.add(name));
    const unlocked = await request(app)
      .post('/locked')
      .set(SAME_ORIGIN)
      .type('form')
      .send({ password: 'open sesame' })
      .expect(303);
    cookieNames(unlocked).forEach((name) => set.add(name));
    // The admin.
    const signIn = await request(app)
      .post('/admin/sign-in')
      .set(SAME_ORIGIN)
      .type('form')
      .send({ password: ADMIN_PASSWORD })
      .expect(303);
    cookieNames(signIn).forEach((name) => set.add(name));
    // A language chosen at the foot of a page.
    const chosen = await request(app).get('/?lang=en').expect(200);
    cookieNames(chosen).forEach((name) => set.add(name));

    expect([...set].sort()).toEqual(
      Object.values(SNIP_COOKIES)
        .map((c) => c.name)
        .sort(),
    );
    for (const name of set) expect(page).toContain(`<code dir="ltr">${name}</code>`);
    expect(page).toContain('365 days after the last link made in that browser');
    expect(page).toContain('24 hours');
    expect(page).toContain('ends after 45 minutes without a request, and 12 hours after sign-in');

    // Without an admin, the admin's cookie is never set and not listed.
    const noAdmin = await privacyText();
    expect(noAdmin).not.toContain(SNIP_COOKIES.admin.name);
    expect(noAdmin).toContain('There is no admin on this site');
  });

  it('when the database is PostgreSQL-like shared counters or a file, then the page names no path of the machine', async () => {
    const dir = createTempDir();
    const { app } = buildTestApp({
      DATABASE_URL: `sqlite:${path.join(dir, 'snip.sqlite3')}`,
      RATE_LIMITS: 'on',
      ADMIN_PASSWORD,
      METRICS_TOKEN: 'a metrics token of some length',
    });
    const html = (await request(app).get('/privacy').expect(200)).text;
    for (const local of [dir, os.tmpdir(), process.cwd(), os.homedir(), 'snip.sqlite3']) {
      expect(html).not.toContain(local);
    }
    expect(html).not.toMatch(/(?:^|[\s"'(>])\/(?:home|tmp|work|usr|var|srv|opt|root|app|data)\//);
    expect(html).not.toMatch(/[A-Za-z]:\\/);
    expect(html).not.toContain('a metrics token of some length');
    expect(html).not.toContain(ADMIN_PASSWORD);
  });

  it('when the page is asked for on an added domain, then it answers there too', async () => {
    const t = buildTestApp({ BASE_URL: 'https://s.example' });
    const key = (await t.services.keys.createKey({ name: 'k', scope: 'full', expiresAt: null }))!;
    await request(t.app)
      .post('/api/v1/domains')
      .set('X-Api-Key', key)
      .send({ host: 'go.example' })
      .expect(201);
    const res = await request(t.app).get('/privacy').set('Host', 'go.example').expect(200);
    expect(res.text).toContain('<h1 class="page-title">Privacy</h1>');
  });

  it('when src/ sets a cookie, then it is in a file that names it from the one list the page reads', () => {
    const src = path.resolve('src');
    const files = (fs.readdirSync(src, { recursive: true }) as string[])
      .filter((file) => file.endsWith('.ts'))
      .map((file) => file.split(path.sep).join('/'));
    const setting = files.filter((file) =>
      /res\.cookie\(|clearCookie\(|Set-Cookie/i.test(fs.readFileSync(path.join(src, file), 'utf8')),
    );
    // A new place that sets a cookie: add the cookie to SNIP_COOKIES (src/http/cookies.ts) and here.
    expect(setting.sort()).toEqual([
      'admin/admin-auth.ts',
      'links/redirect-response.ts',
      'links/remembered-links.ts',
    ]);
    // The responder only passes on the unlock cookie the password gate made.
    for (const file of [
      'admin/admin-auth.ts',
      'links/remembered-links.ts',
      'links/link-password.ts',
    ]) {
      expect(fs.readFileSync(path.join(src, file), 'utf8')).toContain('SNIP_COOKIES.');
    }
    expect(fs.readFileSync(path.join(src, 'links/password-gate.ts'), 'utf8')).toContain(
      '`${UNLOCK_COOKIE}=${value}`',
    );
    // None of them writes a cookie's name out as a string (a metric may be called snip_links).
    for (const file of [...setting, 'links/link-password.ts', 'links/password-gate.ts']) {
      const text = fs.readFileSync(path.join(src, file), 'utf8');
      for (const cookie of Object.values(SNIP_COOKIES)) {
        expect(text, file).not.toMatch(new RegExp(`['"]${cookie.name}['"=]`));
      }
    }
  });
});
