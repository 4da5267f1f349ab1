import { createHash } from 'node:crypto';
import { pino } from 'pino';
import request from 'supertest';
import { afterEach, describe, expect, it } from 'vitest';
import { createVisitCounter } from '../../src/stats/visit-counter.js';
import { createVisitRepository } from '../../src/stats/visit-store.sqlite.js';
import {
  buildTestApp,
  createTestDatabase,
  MANAGE_LOCATION,
  SAME_ORIGIN,
  type TestApp,
} from '../support/test-app.js';

const BROWSER =
  'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0 Safari/537.36';
const DAY = 86_400_000;

let t: TestApp;
let clock: number;
let counter: ReturnType<typeof createVisitCounter>;

afterEach(() => t.db.close());

/** An app with a controllable clock and a visit counter the test can flush. */
function setup(env: Record<string, string> = {}) {
  clock = Date.UTC(2026, 10, 25, 12, 0, 0);
  const db = createTestDatabase();
  counter = createVisitCounter({ visits: createVisitRepository(db), now: () => clock });
  t = buildTestApp(
    { BASE_URL: 'https://snip.example', ...env },
    { db, now: () => clock, visitCounter: counter },
  );
}

async function create(fields: Record<string, string> = {}, cookie = '') {
  const res = await request(t.app)
    .post('/shorten')
    .set({ ...SAME_ORIGIN, Cookie: cookie })
    .type('form')
    .send({ url: 'https://example.com/start', ...fields })
    .expect(303);
  expect(res.headers.location).toMatch(MANAGE_LOCATION);
  const manage = res.headers.location!.replace('?created=1', '');
  return {
    manage,
    token: manage.split('/')[2]!,
    code: t.lastCode()!,
    cookie: res.headers['set-cookie'],
  };
}

function visit(code: string, headers: Record<string, string> = {}) {
  return request(t.app)
    .get(`/${code}`)
    .set({ 'User-Agent': BROWSER, ...headers });
}

describe('the result and management page', () => {
  it('when a link is created, then the page shows the short link, its QR code and a private management link', async () => {
    setup();
    const { manage, code } = await create();
    const res = await request(t.app).get(`${manage}?created=1`).expect(200);
    expect(res.text).toContain('Your short link is ready');
    expect(res.text).toContain(`value="https://snip.example/${code}"`);
    expect(res.text).toContain(`value="https://snip.example${manage}"`);
    expect(res.text).toMatch(/Whoever has this link can/);
    expect(res.text).toContain(`src="/qr/${code}.svg"`);
    expect(res.text).toContain(`/qr/${code}.png?download`);
    expect(res.headers['referrer-policy']).toBe('no-referrer');
    expect(res.headers['cache-control']).toBe('no-store');
  });

  it('when the token is stored, then only its SHA-256 is in the database', async () => {
    setup();
    const { token, code } = await create();
    const row = t.db
      .prepare('SELECT manage_token_hash AS h FROM urls WHERE code = ?')
      .get(code) as { h: Buffer };
    expect(token).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(row.h.equals(createHash('sha256').update(token).digest())).toBe(true);
    const dump = JSON.stringify(t.db.prepare('SELECT * FROM urls').all());
    expect(dump).not.toContain(token);
  });

  it.each(['AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA', 'short', 'x'.repeat(200), '%00'])(
    'when the token %s matches no link, then it is a 404',
    async (token) => {
      setup();
      const { manage, code } = await create();
      const res = await request(t.app).get(`/manage/${token}`);
      expect(res.status).toBe(404);
      expect(res.text).toContain('No such link');
      expect(res.text).not.toContain('https://example.com/start');
      for (const action of ['delete', 'disable']) {
        const refused = await request(t.app).post(`/manage/${token}/${action}`).set(SAME_ORIGIN);
        expect(refused.status).toBe(404);
        expect(refused.headers.location).toBeUndefined();
      }
      // The link itself is untouched (a tombstone would keep the row, so the count proves nothing).
      await visit(code).expect(302).expect('Location', 'https://example.com/start');
      expect((await request(t.app).get(manage).expect(200)).text).toContain('Disable the link');
    },
  );

  it('when the holder changes the target, then the short link goes to the new target', async () => {
    setup();
    const { manage, code } = await create();
    const res = await request(t.app)
      .post(manage)
      .set(SAME_ORIGIN)
      .type('form')
      .send({ url: 'https://example.org/new', redirect: '307' })
      .expect(303);
    expect(res.headers.location).toBe(`${manage}?done=saved`);
    expect((await request(t.app).get(res.headers.location!)).text).toContain(
      'Your changes are saved.',
    );
    await visit(code).expect(307).expect('Location', 'https://example.org/new');
  });

  it.each(['301', '302', '307', '308'])(
    'when the redirect type is %s, then the short link answers it',
    async (status) => {
      setup();
      const { code } = await create({ redirect: status });
      await visit(code).expect(Number(status)).expect('Location', 'https://example.com/start');
    },
  );

  it('when the new target is refused, then the form shows the message and nothing changes', async () => {
    setup();
    const { manage, code } = await create();
    const res = await request(t.app)
      .post(manage)
      .set(SAME_ORIGIN)
      .type('form')
      .send({ url: 'http://10.0.0.1/' })
      .expect(422);
    expect(res.text).toContain('id="url-error"');
    expect(res.text).toContain('value="http://10.0.0.1/"');
    // The link is being changed, not shortened: the message says so.
    expect(res.text).toContain(
      'Links to private or local network addresses can&#39;t be used as a destination.',
    );
    expect(res.text).not.toMatch(/shortened/);
    await visit(code).expect(302).expect('Location', 'https://example.com/start');
  });

  it('when the change is posted as JSON, then it answers 415 saying the form takes a form, and nothing changes', async () => {
    setup();
    const { manage, code } = await create();
    const res = await request(t.app)
      .post(manage)
      .set(SAME_ORIGIN)
      .send({ url: 'https://example.com/other' })
      .expect(415);
    expect(res.text).toContain('This form takes what a browser sends from it');
    await visit(code).expect(302).expect('Location', 'https://example.com/start');
  });

  it('when a management form is posted cross-site, then it is refused with 403', async () => {
    setup();
    const { manage, code } = await create();
    await request(t.app).post(`${manage}/delete`).set('Sec-Fetch-Site', 'cross-site').expect(403);
    await request(t.app)
      .post(`${manage}/disable`)
      .set('Origin', 'https://evil.example')
      .expect(403);
    await request(t.app)
      .post(manage)
      .set('Sec-Fetch-Site', 'same-site')
      .type('form')
      .send({ url: 'https://evil.example/' })
      .expect(403);
    await visit(code).expect(302).expect('Location', 'https://example.com/start');
  });
});

describe('the request log', () => {
  it('when management pages are used, then the token never appears in the log', async () => {
    const lines: string[] = [];
    const logger = pino({ level: 'info' }, { write: (line: string) => lines.push(line) });
    clock = Date.UTC(2026, 10, 25, 12, 0, 0);
    const db = createTestDatabase();
    counter = createVisitCounter({ visits: createVisitRepository(db), now: () => clock });
    t = buildTestApp({}, { db, logger, now: () => clock, visitCounter: counter });
    const { manage, token } = await create();
    await request(t.app).get(manage).expect(200);
    await request(t.app).post(`${manage}/disable`).set(SAME_ORIGIN).expect(303);
    await request(t.app)
      .get(`/manage/${'B'.repeat(32)}`)
      .expect(404);
    expect(lines.length).toBeGreaterThanOrEqual(4);
    expect(lines.join('\n')).not.toContain(token);
    expect(lines.some((line) => line.includes('"path":"/manage/:token/disable"'))).toBe(true);
  });
});

describe('link states', () => {
  it('when a link is active, then it redirects to its target and its page says it is active', async () => {
    setup();
    const { manage, code } = await create();
    await visit(code).expect(302).expect('Location', 'https://example.com/start');
    const page = await request(t.app).get(manage).expect(200);
    expect(page.text).toContain('Disable the link');
    expect(page.text).not.toContain('Enable the link');
  });

  it('when the expiry date has passed, then the link answers 410 saying it expired', async () => {
    setup();
    const { code } = await create({ expires_on: '2026-11-26' });
    clock = Date.UTC(2026, 10, 26, 23, 59, 59);
    await visit(code).expect(302);
    clock = Date.UTC(2026, 10, 27, 0, 0, 0);
    const res = await visit(code).expect(410);
    expect(res.headers.location).toBeUndefined();
    expect(res.text).toContain('This link has expired');
    expect(res.text).toContain('Nov 26, 2026');
  });

  it('when the visit limit is reached, then the next visit answers 410 saying so', async () => {
    setup();
    const { code } = await create({ max_visits: '2' });
    await visit(code).expect(302);
    await visit(code).expect(302);
    const res = await visit(code).expect(410);
    expect(res.text).toContain('reached the number of visits');
    counter.flush();
    await visit(code).expect(410);
  });

  it('when the link is disabled, then it answers 410 until it is enabled again', async () => {
    setup();
    const { manage, code } = await create();
    await request(t.app)
      .post(`${manage}/disable`)
      .set(SAME_ORIGIN)
      .expect(303)
      .expect('Location', `${manage}?done=disabled`);
    expect((await visit(code).expect(410)).text).toContain('This link is disabled');
    expect((await request(t.app).get(manage)).text).toContain('Enable the link');
    await request(t.app).post(`${manage}/enable`).set(SAME_ORIGIN).expect(303);
    await visit(code).expect(302);
  });

  it('when the link is deleted after confirmation, then it answers 410, its management link is gone, this browser forgets it and its code is never reused', async () => {
    setup();
    const kept = await create({ alias: 'kept-one' });
    const keptCookie = (kept.cookie as unknown as string[])[0]!.split(';')[0]!;
    const { manage, code, cookie } = await create({ alias: 'gone-soon' }, keptCookie);
    const bothCookie = (cookie as unknown as string[])[0]!.split(';')[0]!;
    await visit(code).expect(302);
    counter.flush();
    const confirm = await request(t.app).get(`${manage}/delete`).expect(200);
    expect(confirm.text).toContain('Delete this link?');
    expect(confirm.text).toContain(`action="${manage}/delete"`);
    const deleted = await request(t.app)
      .post(`${manage}/delete`)
      .set({ ...SAME_ORIGIN, Cookie: bothCookie })
      .expect(303)
      .expect('Location', '/manage/deleted');
    // The browser's list keeps the other link and drops the deleted one.
    const remembered = (deleted.headers['set-cookie'] as unknown as string[])[0]!.split(';')[0]!;
    expect(remembered).toBe(`snip_links=${kept.token}`);
    const home = await request(t.app).get('/').set('Cookie', remembered).expect(200);
    expect(home.text).toContain(`href="${kept.manage}"`);
    expect(home.text).not.toContain(manage);
    expect((await visit(code).expect(410)).text).toContain('This link was deleted');
    await request(t.app).get(manage).expect(404);
    const again = await request(t.app)
      .post('/shorten')
      .set(SAME_ORIGIN)
      .type('form')
      .send({ url: 'https://example.com/', alias: 'gone-soon' });
    expect(again.status).toBe(409);
    const row = t.db
      .prepare("SELECT target, manage_token_hash FROM urls WHERE code = 'gone-soon'")
      .get();
    expect(row).toEqual({ target: '', manage_token_hash: null });
    expect(t.db.prepare('SELECT COUNT(*) AS n FROM visits_daily').get()).toEqual({ n: 0 });
  });

  it('when the preview of a gone link is asked for, then it answers 410 too', async () => {
    setup();
    const { manage, code } = await create();
    await request(t.app).post(`${manage}/disable`).set(SAME_ORIGIN).expect(303);
    const res = await request(t.app).get(`/${code}+`).expect(410);
    expect(res.text).toContain('This link is disabled');
    expect(res.text).not.toContain('https://example.com/start');
    expect(res.headers.location).toBeUndefined();
  });
});

describe('visit counting', () => {
  it('when people visit, then the management page shows the total, the chart, the referrers and the last visit', async () => {
    setup();
    const { manage, code } = await create();
    await visit(code, { Referer: 'https://news.example/item?id=1' });
    await visit(code, { Referer: 'https://news.example/other' });
    await visit(code);
    clock += DAY;
    await visit(code, { Referer: 'https://blog.example/' });
    const before = await request(t.app).get(manage);
    expect(before.text).toMatch(/Visits in total<\/dt><dd>4</);
    counter.flush();
    const res = await request(t.app).get(manage).expect(200);
    expect(res.text).toMatch(/Visits in total<\/dt><dd>4</);
    expect(res.text).toContain(
      '4 visits from Oct 28, 2026 to Nov 26, 2026; the busiest day was Nov 25, 2026 with 3.',
    );
    expect(res.text).toMatch(/>news\.example<\/bdi><\/th>\s*<td class="num">2<\/td>/);
    expect(res.text).toMatch(/>blog\.example<\/bdi><\/th>\s*<td class="num">1<\/td>/);
    expect(res.text).toContain('Direct (no referrer)');
    expect(res.text).toContain('Nov 26, 2026, 12:00 UTC');
    expect(res.text).toContain(
      '<tr><td>Nov 26, 2026</td><td class="num">1</td><td class="num">1</td></tr>',
    );
    expect(res.text).not.toContain('item?id=1');
  });

  it('when the chart is asked for 90 days, then it covers 90 days; an unknown period is a 400 that says so', async () => {
    setup();
    const { manage } = await create();
    expect((await request(t.app).get(`${manage}?days=90`).expect(200)).text).toContain(
      'Visits and unique visitors per day, Aug 28, 2026 to Nov 25, 2026',
    );
    const refused = await request(t.app).get(`${manage}?days=13`).expect(400);
    expect(refused.text).toContain('Choose the last 7, 30 or 90 days, or all time.');
  });

  it.each([
    [
      'a HEAD request',
      (code: string) => request(t.app).head(`/${code}`).set('User-Agent', BROWSER),
    ],
    [
      'a known bot',
      (code: string) =>
        visit(code, {
          'User-Agent': 'Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)',
        }),
    ],
    ['a prefetch', (code: string) => visit(code, { 'Sec-Purpose': 'prefetch' })],
    ['a legacy prefetch', (code: string) => visit(code, { Purpose: 'prefetch' })],
  ])('when the request is %s, then it is redirected but not counted', async (_kind, send) => {
    setup();
    const { code } = await create({ max_visits: '1' });
    const res = await send(code);
    expect(res.status).toBe(302);
    expect(counter.pendingTotal()).toBe(0);
    await visit(code).expect(302);
    expect(counter.flush()).toBe(1);
  });

  it('when visits are recorded, then no IP address, user agent or cookie of a visitor reaches the database', async () => {
    setup();
    const { code } = await create();
    await visit(code, {
      Cookie: 'secret=cookie-value',
      'X-Forwarded-For': '203.0.113.9',
      Referer: 'https://ref.example/path',
    });
    counter.flush();
    const tables = ['urls', 'visits_daily', 'visits_referrers'];
    const dump = tables
      .map((table) => JSON.stringify(t.db.prepare(`SELECT * FROM ${table}`).all()))
      .join('\n');
    for (const secret of ['cookie-value', '203.0.113.9', '127.0.0.1', 'Chrome', '/path']) {
      expect(dump).not.toContain(secret);
    }
  });
});

describe('your links (remembered in this browser)', () => {
  it('when this browser made links, then the home page lists them with their visit counts', async () => {
    setup();
    const first = await create({ alias: 'first-one' });
    const firstCookie = (first.cookie as unknown as string[])[0]!.split(';')[0]!;
    const second = await create({ alias: 'second-one' }, firstCookie);
    await visit('first-one');
    counter.flush();
    const cookie = (second.cookie as unknown as string[])[0]!.split(';')[0]!;
    expect(cookie.split('=')[1]!.split('.')).toEqual([second.token, first.token]);
    const home = await request(t.app).get('/').set('Cookie', cookie).expect(200);
    expect(home.text).toContain('Your links');
    expect(home.text).toContain(`href="${first.manage}"`);
    expect(home.text).toContain(`href="${second.manage}"`);
    expect(home.text).toMatch(/first-one[\s\S]*?class="link-list__visits">1 visit</);
    // Full short URLs, each a link to follow, not bare paths.
    for (const alias of ['first-one', 'second-one']) {
      expect(home.text).toMatch(
        new RegExp(`<a href="/${alias}"><code>https?://[^"/<]+/${alias}</code></a>`),
      );
    }
  });

  it('when a link is made, then its result page shows the short URL as a real link', async () => {
    setup();
    const made = await create({ alias: 'result-link' });
    const page = await request(t.app).get(`${made.manage}?created=1`).expect(200);
    expect(page.text).toMatch(/<a href="\/result-link">Open the short link/);
  });

  it('when the cookie is set, then it is HttpOnly, SameSite=Lax and Secure behind HTTPS', async () => {
    setup();
    const { cookie } = await create();
    const header = (cookie as unknown as string[])[0]!;
    expect(header).toMatch(/HttpOnly/);
    expect(header).toMatch(/SameSite=Lax/);
    expect(header).toMatch(/Secure/);
    expect(header).toMatch(/Max-Age=/);
  });

  it('when more than 20 links were made, then only the newest 20 are remembered', async () => {
    setup();
    let cookie = '';
    for (let i = 0; i < 22; i++) {
      const res = await request(t.app)
        .post('/shorten')
        .set({ ...SAME_ORIGIN, Cookie: cookie })
        .type('form')
        .send({ url: `https://example.com/${i}` })
        .expect(303);
      cookie = (res.headers['set-cookie'] as unknown as string[])[0]!.split(';')[0]!;
    }
    expect(cookie.split('=')[1]!.split('.')).toHaveLength(20);
  });

  it('when the only link this browser remembers is deleted, then the cookie is cleared', async () => {
    setup();
    const { manage, cookie } = await create();
    const sent = (cookie as unknown as string[])[0]!.split(';')[0]!;
    const deleted = await request(t.app)
      .post(`${manage}/delete`)
      .set({ ...SAME_ORIGIN, Cookie: sent })
      .expect(303);
    const cleared = (deleted.headers['set-cookie'] as unknown as string[])[0]!;
    expect(cleared).toMatch(/^snip_links=;/);
    expect(cleared).toMatch(/Expires=Thu, 01 Jan 1970/);
  });

  it('when the cookie holds junk or a deleted link, then those entries are ignored', async () => {
    setup();
    const { manage, token } = await create();
    await request(t.app).post(`${manage}/delete`).set(SAME_ORIGIN).expect(303);
    const home = await request(t.app)
      .get('/')
      .set('Cookie', `snip_links=${token}.<script>.${'A'.repeat(32)}`)
      .expect(200);
    expect(home.text).not.toContain('Your links');
    expect(home.text).not.toContain('<script>.');
  });
});

describe('preview and QR codes', () => {
  it('row 48: when the preview of a link to markup is opened, then the destination is escaped and the link is plain', async () => {
    setup();
    const { code } = await create({ url: 'https://аpple.com/"><script>alert(1)</script>' });
    const res = await request(t.app).get(`/${code}+`).expect(200);
    expect(res.headers.location).toBeUndefined();
    expect(res.text).not.toContain('<script>alert(1)');
    expect(res.text).toContain('https://xn--pple-43d.com/%22%3E%3Cscript%3Ealert(1)%3C/script%3E');
    expect(res.text).toContain('аpple.com');
    expect(res.text).toContain('xn--pple-43d.com');
    expect(res.text).toMatch(
      /<a class="button button--primary" href="https:\/\/xn--pple-43d\.com\/[^"]*" rel="noopener noreferrer">/,
    );
    expect(res.text).toContain('Nov 25, 2026, 12:00 UTC');
  });

  it('when the host has letters outside ASCII, then the preview says so, names the punycode host, and calls ü no foreign letter', async () => {
    setup();
    const { code } = await create({ url: 'https://bücher.example/' });
    const res = await request(t.app).get(`/${code}+`).expect(200);
    expect(res.text).toContain('This name contains letters outside ASCII.');
    expect(res.text).toContain('<code>xn--bcher-kva.example</code>');
    expect(res.text).not.toMatch(/non-Latin/);
  });

  it('when the preview of an unknown code is asked for, then it is a 404', async () => {
    setup();
    await request(t.app).get('/nothing-here+').expect(404);
  });

  it('when the QR code is asked for, then SVG and PNG of the short link are served and downloadable', async () => {
    setup();
    const { code } = await create();
    const svg = await request(t.app).get(`/qr/${code}.svg`).expect(200);
    expect(svg.headers['content-type']).toMatch(/^image\/svg\+xml/);
    expect(svg.text ?? svg.body.toString()).toMatch(/^<svg[\s\S]*<\/svg>\s*$/);
    const png = await request(t.app).get(`/qr/${code}.png?download`).expect(200);
    expect(png.headers['content-type']).toBe('image/png');
    expect(png.headers['content-disposition']).toContain(`${code}-qr.png`);
    expect((png.body as Buffer).subarray(1, 4).toString()).toBe('PNG');
    await request(t.app).get('/qr/unknown.svg').expect(404);
  });
});
