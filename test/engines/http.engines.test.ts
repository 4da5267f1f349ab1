import { createHash } from 'node:crypto';
import { pino } from 'pino';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { createApp } from '../../src/app.js';
import { buildServices } from '../../src/services.js';
import { loadConfig } from '../../src/config.js';
import { createKeyService } from '../../src/keys/key-service.js';
import { BROWSER } from '../faults/snip-process.js';
import {
  BAD_API_TEXTS,
  BAD_LINK_TEXTS,
  BODY_DOORS,
  linesAboveWarn,
  MALFORMED_BODIES,
  MALFORMED_BODY_STATUSES,
  sendMalformedBody,
} from '../support/bad-input-rows.js';
import { buildEngineApp, type EngineApp } from '../support/engine-app.js';
import { describeWithPostgres } from '../support/postgres.js';
import { MANAGE_LOCATION, SAME_ORIGIN } from '../support/test-app.js';
import { DEFAULT_OPTIONS } from '../../src/links/link-options.js';

/**
 * One suite, every engine: the same requests through every door — the form, redirects,
 * management, statistics, the API and the APIs of other shorteners, the admin, import and
 * export, rate limits and metrics — against SQLite and against PostgreSQL, with the same
 * expectations. A difference between the engines fails here.
 */
const ADMIN_PASSWORD = 'correct horse battery';
const METRICS_TOKEN = 'metrics-token-0123456789';
const ORIGIN = 'https://s.example';

/** A visit as a person's browser makes it: scripts without a user agent, and bots, do not count. */
function visit(s: EngineApp, code: string) {
  return request(s.app).get(`/${code}`).set('User-Agent', BROWSER);
}

async function shorten(s: EngineApp, url: string, alias = '', extra: object = {}) {
  return request(s.app)
    .post('/shorten')
    .set(SAME_ORIGIN)
    .type('form')
    .send({ url, alias, ...extra });
}

/** Creates a link through the form; its management path. */
async function managedLink(s: EngineApp, url: string, alias: string, extra: object = {}) {
  const res = await shorten(s, url, alias, extra);
  expect(res.status).toBe(303);
  expect(res.headers.location).toMatch(MANAGE_LOCATION);
  return res.headers.location!.replace('?created=1', '');
}

async function signIn(s: EngineApp): Promise<string> {
  const res = await request(s.app)
    .post('/admin/sign-in')
    .set(SAME_ORIGIN)
    .type('form')
    .send({ password: ADMIN_PASSWORD });
  expect(res.status).toBe(303);
  return (res.headers['set-cookie'] as unknown as string[])[0]!.split(';')[0]!;
}

function adminPost(s: EngineApp, cookie: string, path: string, form: object = {}) {
  return request(s.app)
    .post(path)
    .set({ ...SAME_ORIGIN, Cookie: cookie })
    .type('form')
    .send(form);
}

/** One column of the admin's CSV export, by link code; the column must be there. */
function exportedColumn(csv: string, name: string): Map<string, string | undefined> {
  const [header, ...rows] = csv.split('\r\n').filter(Boolean);
  const column = header!.split(',').indexOf(name);
  expect(column).toBeGreaterThan(-1);
  return new Map(rows.map((row) => row.split(',')).map((f) => [f[0]!, f[column]]));
}

/** Imports an export into `other` through the admin's import, as snip's own format. */
async function importInto(other: EngineApp, csv: string): Promise<void> {
  const imported = await request(other.app)
    .post('/admin/import?format=snip')
    .set({ ...SAME_ORIGIN, Cookie: await signIn(other), 'Content-Type': 'text/csv' })
    .send(csv);
  expect(imported.status).toBe(200);
}

async function apiKey(s: EngineApp, name = 'suite'): Promise<string> {
  const key = await createKeyService({ keys: s.store.keys, now: Date.now }).createKey({
    name,
    scope: 'full',
    expiresAt: null,
  });
  return key!;
}

function suite(engine: 'sqlite' | 'postgres') {
  const build = (env: Record<string, string> = {}) =>
    buildEngineApp(engine, { BASE_URL: ORIGIN, ADMIN_PASSWORD, ...env });

  it('the form creates a link that redirects, and refuses a taken alias and a bad URL', async () => {
    const s = await build();
    await managedLink(s, 'https://a.example/page', 'first');
    const hit = await request(s.app).get('/first').expect(302);
    expect(hit.headers.location).toBe('https://a.example/page');
    expect((await shorten(s, 'https://b.example/', 'first')).status).toBe(409);
    expect((await shorten(s, 'javascript:alert(1)', 'second')).status).toBe(422);
    await request(s.app).get('/second').expect(404);
    // The home page lists this browser's links from its cookie.
    const created = await shorten(s, 'https://c.example/', 'third');
    const cookie = (created.headers['set-cookie'] as unknown as string[])[0]!.split(';')[0]!;
    const home = await request(s.app).get('/').set('Cookie', cookie).expect(200);
    expect(home.text).toContain('/third');
  });

  it('management edits, disables, enables and deletes, and redirects follow at once', async () => {
    const s = await build();
    const manage = await managedLink(s, 'https://a.example/old', 'edited');
    // Cached by the first redirect, then changed: the next redirect must not serve the old row.
    await request(s.app).get('/edited').expect(302);
    await request(s.app)
      .post(manage)
      .set(SAME_ORIGIN)
      .type('form')
      .send({ url: 'https://a.example/new', redirect: '301' })
      .expect(303);
    const moved = await request(s.app).get('/edited').expect(301);
    expect(moved.headers.location).toBe('https://a.example/new');
    await request(s.app).post(`${manage}/disable`).set(SAME_ORIGIN).expect(303);
    await request(s.app).get('/edited').expect(410);
    await request(s.app).post(`${manage}/enable`).set(SAME_ORIGIN).expect(303);
    await request(s.app).get('/edited').expect(301);
    await request(s.app).post(`${manage}/delete`).set(SAME_ORIGIN).expect(303);
    await request(s.app).get('/edited').expect(410);
    await request(s.app).get(manage).expect(404);
    // A deleted link's code stays taken.
    expect((await shorten(s, 'https://a.example/again', 'edited')).status).toBe(409);
  });

  it('visits are counted exactly, per day and per referrer, and a visit limit expires the link', async () => {
    const s = await build();
    const manage = await managedLink(s, 'https://a.example/', 'counted');
    for (let i = 0; i < 5; i++) await visit(s, 'counted').expect(302);
    await visit(s, 'counted').set('Referer', 'https://news.example/item').expect(302);
    expect(await s.flushVisits()).toBe(6);
    const key = await apiKey(s);
    const stats = await request(s.app)
      .get('/api/v1/links/counted')
      .set('Authorization', `Bearer ${key}`)
      .expect(200);
    expect(stats.body.visits.total).toBe(6);
    const perDay = stats.body.stats.perDay as { day: string; count: number }[];
    expect(perDay.reduce((sum, day) => sum + day.count, 0)).toBe(6);
    expect(stats.body.stats.topReferrers).toEqual(
      expect.arrayContaining([{ host: 'news.example', count: 1 }]),
    );
    const page = await request(s.app).get(manage).expect(200);
    expect(page.text).toContain('news.example');

    await managedLink(s, 'https://a.example/limited', 'limited', { max_visits: '2' });
    await visit(s, 'limited').expect(302);
    await s.flushVisits();
    await visit(s, 'limited').expect(302);
    await visit(s, 'limited').expect(410);
  });

  it('the API creates, reuses, lists, edits, disables and deletes links with problem documents for errors', async () => {
    const s = await build();
    const key = await apiKey(s);
    const api = (method: 'get' | 'post' | 'patch' | 'delete', path: string) =>
      request(s.app)[method](`/api/v1${path}`).set('Authorization', `Bearer ${key}`);
    const created = await api('post', '/links').send({
      url: 'https://a.example/api',
      alias: 'api1',
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      code: 'api1',
      shortUrl: `${ORIGIN}/api1`,
      state: 'active',
    });
    const reused = await api('post', '/links').send({ url: 'https://a.example/api', reuse: true });
    expect(reused.status).toBe(200);
    expect(reused.body.code).toBe('api1');
    const taken = await api('post', '/links').send({ url: 'https://b.example/', alias: 'api1' });
    expect(taken.status).toBe(409);
    expect(taken.headers['content-type']).toContain('application/problem+json');
    await api('post', '/links').send({ url: 'https://a.example/two', alias: 'api2' }).expect(201);
    const listed = await api('get', '/links?search=api').expect(200);
    expect(listed.body.pagination.totalItems).toBe(2);
    const edited = await api('patch', '/links/api1').send({ url: 'https://a.example/edited' });
    expect(edited.status).toBe(200);
    expect(edited.body.url).toBe('https://a.example/edited');
    expect((await request(s.app).get('/api1')).headers.location).toBe('https://a.example/edited');
    await api('post', '/links/api1/disable').expect(200);
    await request(s.app).get('/api1').expect(410);
    await api('delete', '/links/api2').expect(204);
    expect((await api('get', '/links/api2')).body.state).toBe('deleted');
    await request(s.app).get('/api/v1/links').expect(401);
  });

  it.each([
    {
      door: '/api/v1 (reuse)',
      create: (s: EngineApp, url: string, key: string | null) => {
        const req = request(s.app).post('/api/v1/links');
        if (key) req.set('Authorization', `Bearer ${key}`);
        return req.send({ url, reuse: true });
      },
      codeOf: (res: request.Response) => res.body.code as string,
    },
    {
      door: 'Kutt (reuse)',
      create: (s: EngineApp, url: string, key: string | null) => {
        const req = request(s.app).post('/api/v2/links');
        if (key) req.set('X-API-KEY', key);
        return req.send({ target: url, reuse: true });
      },
      codeOf: (res: request.Response) => res.body.address as string,
    },
    {
      door: 'Shlink (findIfExists)',
      create: (s: EngineApp, url: string, key: string | null) => {
        const req = request(s.app).post('/rest/v3/short-urls');
        if (key) req.set('X-Api-Key', key);
        return req.send({ longUrl: url, findIfExists: true });
      },
      codeOf: (res: request.Response) => res.body.shortCode as string,
    },
  ])(
    '$door answers only a link the same key made: never another key’s, never an anonymous one',
    async ({ create, codeOf }) => {
      const s = await build();
      const [keyA, keyB] = [await apiKey(s, 'a'), await apiKey(s, 'b')];
      const url = 'https://a.example/owned';
      const made = async (key: string | null) => {
        const res = await create(s, url, key);
        expect(res.status, res.text).toBeLessThan(300);
        return codeOf(res);
      };
      const byA = await made(keyA);
      const byB = await made(keyB);
      expect(byB).not.toBe(byA);
      // Without a key nothing is reused, not even a link made without a key.
      const anonymous = await made(null);
      expect([byA, byB]).not.toContain(anonymous);
      expect([byA, byB, anonymous]).not.toContain(await made(null));
      // Each key gets its own link back, though newer links go to the same place.
      expect(await made(keyA)).toBe(byA);
      expect(await made(keyB)).toBe(byB);
    },
  );

  it('creation without a key from another site is refused on every door, and nothing is stored', async () => {
    const s = await build({ CORS_ORIGINS: 'https://app.example' });
    const cross = { 'Sec-Fetch-Site': 'cross-site', Origin: 'https://app.example' };
    const refusals = [
      await request(s.app).post('/api/v1/links').set(cross).send({ url: 'https://a.example/1' }),
      await request(s.app)
        .post('/rest/v3/short-urls')
        .set(cross)
        .type('form')
        .send({ longUrl: 'https://a.example/2' }),
      await request(s.app).post('/api/v2/links').set(cross).send({ target: 'https://a.example/3' }),
      await request(s.app)
        .get('/yourls-api.php')
        .set({ 'Sec-Fetch-Site': 'cross-site' })
        .query({ action: 'shorturl', url: 'https://a.example/4', format: 'json' }),
      await request(s.app)
        .post('/shorten')
        .set(cross)
        .type('form')
        .send({ url: 'https://a.example/5' }),
    ];
    expect(refusals.map((res) => res.status)).toEqual([403, 403, 403, 403, 403]);
    expect(await s.store.links.countLinks()).toBe(0);
    // With a key, the same page may create (and, listed in CORS_ORIGINS, read the answer).
    const keyed = await request(s.app)
      .post('/api/v1/links')
      .set({ ...cross, Authorization: `Bearer ${await apiKey(s)}` })
      .send({ url: 'https://a.example/1' });
    expect(keyed.status).toBe(201);
    expect(keyed.headers['access-control-allow-origin']).toBe('https://app.example');
    expect(await s.store.links.countLinks()).toBe(1);
  });

  it('the Shlink, Kutt and YOURLS doors create links that redirect', async () => {
    const s = await build();
    const key = await apiKey(s);
    const shlink = await request(s.app)
      .post('/rest/v3/short-urls')
      .set('X-Api-Key', key)
      .send({ longUrl: 'https://a.example/shlink', customSlug: 'shl' });
    expect(shlink.status).toBe(200);
    expect(shlink.body.shortUrl).toBe(`${ORIGIN}/shl`);
    const listed = await request(s.app).get('/rest/v3/short-urls').set('X-Api-Key', key);
    expect(listed.body.shortUrls.pagination.totalItems).toBe(1);
    const kutt = await request(s.app)
      .post('/api/v2/links')
      .set('X-API-KEY', key)
      .send({ target: 'https://a.example/kutt', customurl: 'ktt' });
    expect(kutt.status).toBe(201);
    const yourls = await request(s.app).get('/yourls-api.php').query({
      signature: key,
      action: 'shorturl',
      url: 'https://a.example/yourls',
      keyword: 'yrl',
      format: 'json',
    });
    expect(yourls.status).toBe(200);
    for (const [code, target] of [
      ['shl', 'https://a.example/shlink'],
      ['ktt', 'https://a.example/kutt'],
      ['yrl', 'https://a.example/yourls'],
    ]) {
      expect((await request(s.app).get(`/${code}`).expect(302)).headers.location).toBe(target);
    }
  });

  it('a stored expiry far past year 9999 (as an unbounded door once wrote) breaks no listing and no export', async () => {
    const s = await build();
    const key = await apiKey(s);
    for (const alias of ['before', 'broken', 'after']) {
      await request(s.app)
        .post('/api/v1/links')
        .set('Authorization', `Bearer ${key}`)
        .send({ url: `https://a.example/${alias}`, alias })
        .expect(201);
    }
    // 100000000 years from now, in epoch milliseconds: what Kutt's expire_in once let through.
    await s.execute("UPDATE urls SET expires_at = 3155760000000000000 WHERE code = 'broken'");
    const codes = (links: { code?: string; shortCode?: string; id?: string }[]) =>
      links.map((link) => link.code ?? link.shortCode ?? link.id).sort();
    const api = await request(s.app)
      .get('/api/v1/links')
      .set('Authorization', `Bearer ${key}`)
      .expect(200);
    expect(codes(api.body.data)).toEqual(['after', 'before', 'broken']);
    const shlink = await request(s.app)
      .get('/rest/v3/short-urls')
      .set('X-Api-Key', key)
      .expect(200);
    expect(codes(shlink.body.shortUrls.data)).toEqual(['after', 'before', 'broken']);
    const kutt = await request(s.app).get('/api/v2/links').set('X-API-KEY', key).expect(200);
    expect(codes(kutt.body.data)).toEqual(['after', 'before', 'broken']);
    const cookie = await signIn(s);
    const exported = await request(s.app)
      .get('/admin/export.csv')
      .set('Cookie', cookie)
      .expect(200);
    expect(
      exported.text
        .trim()
        .split('\r\n')
        .slice(1)
        .map((row) => row.split(',')[0]),
    ).toEqual(['before', 'broken', 'after']);
    await request(s.app).get('/admin').set('Cookie', cookie).expect(200);
    // And the door it came through now refuses it.
    const again = await request(s.app)
      .post('/api/v2/links')
      .send({ target: 'https://a.example/again', expire_in: '100000000 years' });
    expect(again.status).toBe(400);
  });

  it('the admin signs in, finds links, bans one with its host blocked, and the ban holds everywhere', async () => {
    const s = await build();
    await managedLink(s, 'https://phish.example/login', 'bait');
    await managedLink(s, 'https://phish.example/other', 'bait2');
    await request(s.app).get('/admin').expect(303);
    const cookie = await signIn(s);
    const list = await request(s.app).get('/admin?q=bait').set('Cookie', cookie).expect(200);
    expect(list.text).toContain('bait2');
    await adminPost(s, cookie, '/admin/links/bait/ban', {
      reason: 'Phishing',
      block_host: 'on',
      disable_others: 'on',
    }).expect(303);
    await request(s.app).get('/bait').expect(410);
    await request(s.app).get('/bait2').expect(410);
    expect((await shorten(s, 'https://phish.example/new', 'bait3')).status).toBe(422);
    const blocklist = await request(s.app).get('/admin/blocklist').set('Cookie', cookie);
    expect(blocklist.text).toContain('phish.example');
    await adminPost(s, cookie, '/admin/sign-out').expect(303);
    await request(s.app).get('/admin').set('Cookie', cookie).expect(303);
  });

  it('admin sessions end when ADMIN_PASSWORD changes, and the admin can end them all at once', async () => {
    const s = await build();
    const first = await signIn(s);
    const second = await signIn(s);
    // Another machine (or a restart) on the same database with a new password.
    const rotated = createApp(
      buildServices({
        config: loadConfig({
          DATABASE_URL: engine === 'sqlite' ? 'sqlite::memory:' : 'postgres://snip@127.0.0.1/snip',
          RATE_LIMITS: 'off',
          BASE_URL: ORIGIN,
          ADMIN_PASSWORD: 'the password after a leak',
        }),
        store: s.store,
        logger: pino({ level: 'silent' }),
      }),
    );
    await request(rotated).get('/admin').set('Cookie', first).expect(303);
    await request(s.app).get('/admin').set('Cookie', first).expect(200);
    await adminPost(s, first, '/admin/sessions/end').expect(303);
    await request(s.app).get('/admin').set('Cookie', first).expect(303);
    await request(s.app).get('/admin').set('Cookie', second).expect(303);
  });

  it('the admin changes a full page of selected links at once, a selection with an unknown code changes none, and a ban disables more links than one batch holds', async () => {
    const s = await build();
    const codes = Array.from({ length: 50 }, (_, i) => `sel-${i}`);
    for (const code of codes) await managedLink(s, `https://a.example/${code}`, code);
    const cookie = await signIn(s);
    await adminPost(s, cookie, '/admin/links/bulk', {
      action: 'disable',
      code: [...codes.slice(0, 25), 'no-such-link', ...codes.slice(25, 49)],
    }).expect(404);
    for (const code of codes) await request(s.app).get(`/${code}`).expect(302);
    await adminPost(s, cookie, '/admin/links/bulk', { action: 'disable', code: codes })
      .expect(303)
      .expect('Location', '/admin?done=bulk');
    for (const code of codes) await request(s.app).get(`/${code}`).expect(410);
    await adminPost(s, cookie, '/admin/links/bulk', { action: 'delete', code: codes }).expect(303);
    const gone = await request(s.app).get('/sel-49').expect(410);
    expect(gone.text).toContain('This link was deleted');

    await managedLink(s, 'https://kit.example/login', 'kit-bait');
    for (let i = 0; i < 1100; i++) {
      const made = await s.store.links.insertLink(
        {
          code: `kit-${i}`,
          target: `https://kit.example/${i}`,
          manageTokenHash: Buffer.from(`kit-token-${i}`),
          ...DEFAULT_OPTIONS,
        },
        Date.now(),
      );
      expect(made.ok).toBe(true);
    }
    await request(s.app).get('/kit-1099').expect(302);
    await adminPost(s, cookie, '/admin/links/kit-bait/ban', {
      reason: 'Phishing kit',
      disable_others: 'on',
    })
      .expect(303)
      .expect('Location', '/admin/links/kit-bait?done=banned&blocked=0&disabled=1100');
    for (const code of ['kit-bait', 'kit-0', 'kit-500', 'kit-1099'])
      await request(s.app).get(`/${code}`).expect(410);
  });

  it('visitors report abuse, and the admin sees and dismisses the report', async () => {
    const s = await build();
    await managedLink(s, 'https://a.example/', 'reported');
    await request(s.app)
      .post('/report/reported')
      .set(SAME_ORIGIN)
      .type('form')
      .send({ reason: 'spam', details: 'Unsolicited' })
      .expect(200);
    const cookie = await signIn(s);
    const reports = await request(s.app).get('/admin/reports').set('Cookie', cookie).expect(200);
    expect(reports.text).toContain('Unsolicited');
    await adminPost(s, cookie, '/admin/links/reported/dismiss').expect(303);
    const after = await request(s.app).get('/admin/reports').set('Cookie', cookie);
    expect(after.text).not.toContain('Unsolicited');
  });

  it('admin keys are created once and work on the API; revoked, they stop', async () => {
    const s = await build();
    const cookie = await signIn(s);
    const page = await adminPost(s, cookie, '/admin/keys', { name: 'ci', scope: 'full' });
    expect(page.status).toBe(201);
    const key = /snip_[A-Za-z0-9_-]{43}/.exec(page.text)![0];
    await request(s.app).get('/api/v1/links').set('Authorization', `Bearer ${key}`).expect(200);
    await adminPost(s, cookie, '/admin/keys/revoke', { name: 'ci' }).expect(303);
    await request(s.app).get('/api/v1/links').set('Authorization', `Bearer ${key}`).expect(401);
  });

  it('YOURLS signs with the token the keys page shows; an expired timestamp or a revoked key is refused', async () => {
    const s = await build();
    const cookie = await signIn(s);
    const made = await adminPost(s, cookie, '/admin/keys', { name: 'yourls', scope: 'full' });
    expect(made.status).toBe(201);
    const token = /<code dir="ltr">([0-9a-f]{10})<\/code>/.exec(made.text)![1]!;
    const signed = (timestamp: number, keyword: string) =>
      request(s.app)
        .get('/yourls-api.php')
        .query({
          timestamp: String(timestamp),
          signature: createHash('sha256').update(`${token}${timestamp}`).digest('hex'),
          hash: 'sha256',
          action: 'shorturl',
          url: `https://a.example/${keyword}`,
          keyword,
          format: 'json',
        });
    const now = Math.floor(Date.now() / 1000);
    expect((await signed(now, 'signed')).status).toBe(200);
    expect((await request(s.app).get('/signed').expect(302)).headers.location).toBe(
      'https://a.example/signed',
    );
    expect((await signed(now - 13 * 3600, 'stale')).status).toBe(403);
    await adminPost(s, cookie, '/admin/keys/revoke', { name: 'yourls' }).expect(303);
    const revoked = await signed(now, 'revoked');
    expect(revoked.status).toBe(403);
    expect(revoked.body).toEqual({ message: 'Please log in', errorCode: '403', callback: '' });
    await request(s.app).get('/revoked').expect(404);
  });

  it('export then import moves every link, skips taken codes, and keeps the import all or nothing', async () => {
    const s = await build();
    await managedLink(s, 'https://a.example/one', 'one');
    await managedLink(s, 'https://a.example/two', 'two');
    await visit(s, 'one').expect(302);
    await s.flushVisits();
    const cookie = await signIn(s);
    const exported = await request(s.app).get('/admin/export.csv').set('Cookie', cookie);
    expect(exported.status).toBe(200);
    expect(exported.text.split('\n').filter(Boolean)).toHaveLength(3);

    const other = await build();
    const otherCookie = await signIn(other);
    const imported = await request(other.app)
      .post('/admin/import?format=snip')
      .set({ ...SAME_ORIGIN, Cookie: otherCookie, 'Content-Type': 'text/csv' })
      .send(exported.text);
    expect(imported.status).toBe(200);
    expect((await request(other.app).get('/one').expect(302)).headers.location).toBe(
      'https://a.example/one',
    );
    const key = await apiKey(other);
    const one = await request(other.app)
      .get('/api/v1/links/one')
      .set('Authorization', `Bearer ${key}`);
    expect(one.body.visits.total).toBe(1);
    const again = await request(other.app)
      .post('/admin/import?format=snip')
      .set({ ...SAME_ORIGIN, Cookie: otherCookie, 'Content-Type': 'text/csv' })
      .send(exported.text);
    expect(again.text).toMatch(/already taken/);
    // The report is kept in the database: it downloads, every row of it.
    const href = /href="(\/admin\/import\/reports\/[^"]+\.csv)"/.exec(again.text)?.[1];
    const report = await request(other.app).get(href!).set('Cookie', otherCookie).expect(200);
    expect(report.text.split('\n').filter(Boolean)).toHaveLength(3);
    expect(report.text.match(/,skipped,/g)).toHaveLength(2);
    // A malformed file writes nothing, not even its good rows.
    const broken = await request(other.app)
      .post('/admin/import?format=snip')
      .set({ ...SAME_ORIGIN, Cookie: otherCookie, 'Content-Type': 'text/csv' })
      .send(`${exported.text.split('\n')[0]}\nthree,https://a.example/3\n"unclosed`);
    expect(broken.status).toBe(422);
    await request(other.app).get('/three').expect(404);
  });

  it('rate limits refuse the creation over the limit, and metrics count links and refusals', async () => {
    const s = await build({
      RATE_LIMITS: 'on',
      RATE_LIMIT_CREATE: '2/h',
      METRICS_TOKEN,
    });
    expect((await shorten(s, 'https://a.example/1', 'rl1')).status).toBe(303);
    expect((await shorten(s, 'https://a.example/2', 'rl2')).status).toBe(303);
    expect((await shorten(s, 'https://a.example/3', 'rl3')).status).toBe(429);
    const metrics = await request(s.app)
      .get('/metrics')
      .set('Authorization', `Bearer ${METRICS_TOKEN}`)
      .expect(200);
    expect(metrics.text).toMatch(/^snip_links\{state="active"\} 2$/m);
    expect(metrics.text).toMatch(/^snip_rate_limited_total\{limit="create"\} 1$/m);
  });

  it('every door answers a malformed body with 400, 413 or 415, logs nothing above warn, and stores nothing', async () => {
    const lines: string[] = [];
    const logger = pino({ level: 'debug' }, { write: (line: string) => lines.push(line) });
    const s = await buildEngineApp(engine, { BASE_URL: ORIGIN, ADMIN_PASSWORD }, { logger });
    const manage = await managedLink(s, 'https://a.example/kept', 'kept');
    await managedLink(s, 'https://a.example/locked', 'locked', { password: 'open sesame' });
    const context = {
      key: await apiKey(s),
      code: 'kept',
      manage,
      adminCookie: await signIn(s),
      locked: 'locked',
    };
    const statuses: Record<string, number> = {};
    for (const door of BODY_DOORS) {
      for (const body of MALFORMED_BODIES) {
        lines.length = 0;
        const res = await sendMalformedBody(s.app, door, body, context);
        const row = `${door.door}, ${body.name}`;
        expect(MALFORMED_BODY_STATUSES, `${row}: ${res.status} ${res.text}`).toContain(res.status);
        expect(linesAboveWarn(lines), row).toEqual([]);
        statuses[res.status] = (statuses[res.status] ?? 0) + 1;
      }
    }
    console.log(`${engine}: malformed bodies by status ${JSON.stringify(statuses)}`);
    expect(await s.store.links.countLinks()).toBe(2);
    await request(s.app).get('/locked').auth('', 'open sesame').expect(302);
    expect((await request(s.app).get('/kept').expect(302)).headers.location).toBe(
      'https://a.example/kept',
    );
  });

  it('RATE_LIMIT_QR refuses the drawing over the limit, while images already drawn are served', async () => {
    const s = await build({ RATE_LIMITS: 'on', RATE_LIMIT_QR: '2/min', METRICS_TOKEN });
    await managedLink(s, 'https://a.example/', 'drawn');
    await managedLink(s, 'https://a.example/', 'undrawn');
    await request(s.app).get('/qr/drawn.png').expect(200).expect('RateLimit-Remaining', '1');
    await request(s.app).get('/qr/drawn.svg').expect(200).expect('RateLimit-Remaining', '0');
    await request(s.app).get('/qr/undrawn.svg').expect(429);
    await request(s.app).get('/qr/drawn.png').expect(200);
    const metrics = await request(s.app)
      .get('/metrics')
      .set('Authorization', `Bearer ${METRICS_TOKEN}`)
      .expect(200);
    expect(metrics.text).toMatch(/^snip_rate_limited_total\{limit="qr"\} 1$/m);
  });

  it('a title and a private note go through the form, management, the API, Shlink, Kutt, YOURLS, search and export/import, and are erased with the link', async () => {
    const s = await build();
    const manage = await managedLink(s, 'https://a.example/', 'titled', {
      title: ' Quarterly Report ',
      note: 'first line\r\nsecond, line',
      utm_source: 'news letter',
    });
    const key = await apiKey(s);
    const auth = { Authorization: `Bearer ${key}` };
    const read = await request(s.app).get('/api/v1/links/titled').set(auth).expect(200);
    expect(read.body).toMatchObject({
      url: 'https://a.example/?utm_source=news%20letter',
      title: 'Quarterly Report',
      note: 'first line\nsecond, line',
    });
    // The management page splits the UTM parameters off the URL; the preview has no note.
    const page = await request(s.app).get(manage).expect(200);
    expect(page.text).toMatch(/<input id="url" name="url"[^>]*value="https:\/\/a.example\/"/);
    expect(page.text).toMatch(/<input id="utm_source" name="utm_source"[^>]*value="news letter"/);
    expect(page.text).toContain('second, line');
    const preview = await request(s.app).get('/titled+').expect(200);
    expect(preview.text).toContain('Quarterly Report');
    expect(preview.text).not.toContain('second, line');
    // Searched by title, any case: /api/v1, Shlink's searchTerm, the admin list.
    const found = await request(s.app).get('/api/v1/links?search=QUARTERLY').set(auth).expect(200);
    expect(found.body.data.map((l: { code: string }) => l.code)).toEqual(['titled']);
    const shlink = await request(s.app)
      .get('/rest/v3/short-urls?searchTerm=quarterly')
      .set('X-Api-Key', key)
      .expect(200);
    expect(shlink.body.shortUrls.data[0]).toMatchObject({
      shortCode: 'titled',
      title: 'Quarterly Report',
    });
    const cookie = await signIn(s);
    const admin = await request(s.app).get('/admin?q=quarterly').set('Cookie', cookie).expect(200);
    expect(admin.text).toContain('/titled');
    // A create-only key never sees a note; the API clears with null.
    const limited = await createKeyService({ keys: s.store.keys, now: Date.now }).createKey({
      name: 'limited',
      scope: 'create-only',
      expiresAt: null,
    });
    const made = await request(s.app)
      .post('/api/v1/links')
      .set('Authorization', `Bearer ${limited}`)
      .send({ url: 'https://b.example/', alias: 'limited', title: 'T', note: 'hidden' })
      .expect(201);
    expect(made.body).not.toHaveProperty('note');
    await request(s.app)
      .patch('/api/v1/links/limited')
      .set(auth)
      .send({ title: null, note: null })
      .expect(200);
    const cleared = await request(s.app).get('/api/v1/links/limited').set(auth).expect(200);
    expect(cleared.body).toMatchObject({ title: null, note: null });
    // The other products' names.
    const shl = await request(s.app)
      .patch('/rest/v3/short-urls/limited')
      .set('X-Api-Key', key)
      .send({ title: 'Via Shlink' })
      .expect(200);
    expect(shl.body.title).toBe('Via Shlink');
    const kutt = await request(s.app)
      .post('/api/v2/links')
      .set('X-API-KEY', key)
      .send({ target: 'https://c.example/', customurl: 'kuttd', description: 'Via Kutt' })
      .expect(201);
    expect(kutt.body.description).toBe('Via Kutt');
    const yourls = await request(s.app).get('/yourls-api.php').query({
      signature: key,
      action: 'shorturl',
      url: 'https://d.example/',
      keyword: 'yourlsd',
      title: 'Via YOURLS',
      format: 'json',
    });
    expect(yourls.body.url.title).toBe('Via YOURLS');
    // Export and import on another instance of the same engine keep both.
    const exported = await request(s.app)
      .get('/admin/export.csv')
      .set('Cookie', cookie)
      .expect(200);
    const other = await build();
    const otherCookie = await signIn(other);
    await request(other.app)
      .post('/admin/import?format=snip')
      .set({ ...SAME_ORIGIN, Cookie: otherCookie, 'Content-Type': 'text/csv' })
      .send(exported.text)
      .expect(200);
    const otherKey = await apiKey(other);
    const moved = await request(other.app)
      .get('/api/v1/links/titled')
      .set('Authorization', `Bearer ${otherKey}`)
      .expect(200);
    expect(moved.body).toMatchObject({
      title: 'Quarterly Report',
      note: 'first line\nsecond, line',
    });
    // Deleted, the link keeps neither.
    await request(s.app).delete('/api/v1/links/titled').set(auth).expect(204);
    const gone = await request(s.app).get('/api/v1/links/titled').set(auth).expect(200);
    expect(gone.body).toMatchObject({ title: null, note: null, url: null });
  });

  it('bad titles, notes and UTM values get a 4xx on the form, the management page and the API, and change nothing', async () => {
    const s = await build();
    const manage = await managedLink(s, 'https://a.example/kept', 'kept', { title: 'Kept' });
    const key = await apiKey(s);
    for (const [field, what, value] of BAD_LINK_TEXTS) {
      const row = `${field} with ${what}`;
      const form = await shorten(s, 'https://b.example/', '', { [field]: value });
      expect(form.status, row).toBe(422);
      expect(form.text, row).toContain(`id="${field}-error"`);
      const change = await request(s.app)
        .post(manage)
        .set(SAME_ORIGIN)
        .type('form')
        .send({ url: 'https://changed.example/', [field]: value });
      expect(change.status, row).toBe(422);
    }
    for (const [field, what, value] of BAD_API_TEXTS) {
      const row = `${field} with ${what}`;
      const create = await request(s.app)
        .post('/api/v1/links')
        .set('Authorization', `Bearer ${key}`)
        .send({ url: 'https://b.example/', [field]: value });
      expect(create.status, row).toBe(400);
      const update = await request(s.app)
        .patch('/api/v1/links/kept')
        .set('Authorization', `Bearer ${key}`)
        .send({ [field]: value });
      expect(update.status, row).toBe(400);
    }
    expect(await s.store.links.countLinks()).toBe(1);
    const kept = await request(s.app)
      .get('/api/v1/links/kept')
      .set('Authorization', `Bearer ${key}`)
      .expect(200);
    expect(kept.body).toMatchObject({ url: 'https://a.example/kept', title: 'Kept', note: null });
  });

  describe('password-protected links', () => {
    const PASSWORD = 'open sesame ☂';
    const TARGET = 'https://secret.example/plans?q=1';

    /** The unlock cookie a response sets, as `name=value`, and its attributes. */
    function unlockCookie(res: request.Response): { pair: string; attributes: string[] } {
      const cookies = (res.headers['set-cookie'] as unknown as string[] | undefined) ?? [];
      const line = cookies.find((cookie) => cookie.startsWith('snip_unlock='));
      expect(line).toBeDefined();
      const [pair, ...attributes] = line!.split(';').map((part) => part.trim());
      return { pair: pair!, attributes };
    }

    function unlock(s: EngineApp, code: string, password: string) {
      return request(s.app)
        .post(`/${code}`)
        .set({ ...SAME_ORIGIN, 'User-Agent': BROWSER })
        .type('form')
        .send({ password });
    }

    it("a protected link's redirects, by cookie or Basic auth, are logged at debug as the fast path's are; its form and the unlock at info", async () => {
      const lines: { level: number; method: string; status: number }[] = [];
      const logger = pino(
        { level: 'info' },
        { write: (line: string) => lines.push(JSON.parse(line)) },
      );
      const s = await buildEngineApp(engine, { BASE_URL: ORIGIN }, { logger });
      await managedLink(s, TARGET, 'locked', { password: PASSWORD });
      lines.length = 0;
      await visit(s, 'locked').expect(401);
      const { pair } = unlockCookie(await unlock(s, 'locked', PASSWORD).expect(303));
      await visit(s, 'locked').set('Cookie', pair).expect(302);
      await visit(s, 'locked').auth('', PASSWORD).expect(302);
      const requests = lines.filter((line) => 'status' in line);
      expect(requests.map((line) => [line.method, line.status])).toEqual([
        ['GET', 401],
        ['POST', 303],
      ]);
    });

    /** Nothing in an answer tells where the link goes. */
    function expectNoTarget(res: request.Response) {
      expect(res.headers.location).toBeUndefined();
      expect(res.text ?? '').not.toContain('secret.example');
      expect(JSON.stringify(res.headers)).not.toContain('secret.example');
    }

    it('the form protects a link: GET answers a 401 page with a form and no target, the preview and the fast path hide it too', async () => {
      const s = await build();
      await managedLink(s, TARGET, 'locked', { password: PASSWORD, redirect: '301' });
      const page = await visit(s, 'locked').expect(401);
      expectNoTarget(page);
      expect(page.headers['content-type']).toMatch(/^text\/html/);
      expect(page.headers['www-authenticate']).toBeDefined();
      expect(page.headers['www-authenticate']).not.toMatch(/^\s*basic/i);
      expect(page.text).toMatch(/<form[^>]*method="post"[^>]*action="\/locked"/);
      expect(page.text).toContain('name="password"');
      // The form's answer redirects to the target's origin: the page's CSP must let it.
      expect(page.headers['content-security-policy']).toContain("form-action 'self' https: http:");
      expect(page.headers['content-security-policy']).not.toContain('secret.example');
      expectNoTarget(await request(s.app).head('/locked').expect(401));
      const preview = await request(s.app).get('/locked+').expect(200);
      expectNoTarget(preview);
      // The server's own listener: the fast path hands a protected link to Express.
      expectNoTarget(
        await request(s.listener).get('/locked').set('User-Agent', BROWSER).expect(401),
      );
      expectNoTarget(await request(s.listener).head('/locked').expect(401));
      // No visit is counted before the unlock.
      expect(await s.flushVisits()).toBe(0);
      // The password never comes back in a page.
      const key = await apiKey(s);
      const listed = await request(s.app)
        .get('/api/v1/links/locked')
        .set('Authorization', `Bearer ${key}`);
      expect(listed.body.hasPassword).toBe(true);
      expect(JSON.stringify(listed.body)).not.toContain('scrypt');
      expect(JSON.stringify(listed.body)).not.toContain('sesame');
    });

    it('the right password answers 303 with a signed unlock cookie for that link alone, counts one visit, and the cookie or Basic auth redirect with the link’s status', async () => {
      const s = await build();
      await managedLink(s, TARGET, 'locked', { password: PASSWORD, redirect: '308' });
      await managedLink(s, 'https://other.example/', 'other', { password: 'another one' });
      const wrong = await unlock(s, 'locked', 'not it').expect(401);
      expectNoTarget(wrong);
      expect(wrong.text).toContain('name="password"');
      expect(wrong.headers['set-cookie']).toBeUndefined();
      const right = await unlock(s, 'locked', PASSWORD).expect(303);
      expect(right.headers.location).toBe(TARGET);
      expect(await s.flushVisits()).toBe(1);
      const { pair, attributes } = unlockCookie(right);
      expect(pair).not.toContain('sesame');
      expect(pair).toMatch(/^snip_unlock=locked\./);
      expect(attributes).toEqual(
        expect.arrayContaining(['Path=/locked', 'HttpOnly', 'SameSite=Lax']),
      );
      // The test app's BASE_URL is https: the cookie is Secure.
      expect(attributes).toContain('Secure');
      const maxAge = Number(attributes.find((a) => a.startsWith('Max-Age='))!.slice(8));
      expect(maxAge).toBeGreaterThan(0);
      expect(maxAge).toBeLessThanOrEqual(86_400);

      const withCookie = await visit(s, 'locked').set('Cookie', pair).expect(308);
      expect(withCookie.headers.location).toBe(TARGET);
      expect(await s.flushVisits()).toBe(1);
      // HTTP Basic auth with any user name.
      await visit(s, 'locked').auth('anyone', PASSWORD).expect(308).expect('Location', TARGET);
      await visit(s, 'locked').auth('', PASSWORD).expect(308);
      expectNoTarget(await visit(s, 'locked').auth('anyone', 'not it').expect(401));
      // Another link's cookie, and a tampered one, unlock nothing.
      const value = pair.slice('snip_unlock='.length);
      expectNoTarget(await visit(s, 'other').set('Cookie', pair).expect(401));
      const renamed = `snip_unlock=other.${value.split('.').slice(1).join('.')}`;
      expectNoTarget(await visit(s, 'other').set('Cookie', renamed).expect(401));
      const [code, expires, signature] = value.split('.');
      const flipped = `${signature!.slice(0, -2)}${signature!.endsWith('AA') ? 'AB' : 'AA'}`;
      for (const forged of [
        `snip_unlock=${code}.${expires}.${flipped}`,
        `snip_unlock=${code}.${Number(expires) + 3600}.${signature}`,
        `snip_unlock=${code}.${expires}`,
        'snip_unlock=',
      ]) {
        expectNoTarget(await visit(s, 'locked').set('Cookie', forged).expect(401));
      }
    });

    it('changing or removing the password invalidates every unlock cookie, on the management page and through the admin', async () => {
      const s = await build();
      const manage = await managedLink(s, TARGET, 'locked', { password: PASSWORD });
      const page = await request(s.app).get(manage).expect(200);
      expect(page.text).not.toContain('sesame');
      expect(page.text).toContain('name="remove_password"');
      const first = unlockCookie(await unlock(s, 'locked', PASSWORD).expect(303)).pair;
      // An empty field keeps the password, and the cookie.
      await request(s.app)
        .post(manage)
        .set(SAME_ORIGIN)
        .type('form')
        .send({ url: TARGET, password: '' })
        .expect(303);
      await visit(s, 'locked').set('Cookie', first).expect(302);
      await unlock(s, 'locked', PASSWORD).expect(303);
      // A new password: the old one and the old cookie no longer work.
      await request(s.app)
        .post(manage)
        .set(SAME_ORIGIN)
        .type('form')
        .send({ url: TARGET, password: 'the new one' })
        .expect(303);
      expectNoTarget(await visit(s, 'locked').set('Cookie', first).expect(401));
      await unlock(s, 'locked', PASSWORD).expect(401);
      const second = unlockCookie(await unlock(s, 'locked', 'the new one').expect(303)).pair;
      await visit(s, 'locked').set('Cookie', second).expect(302);
      // The same password set again is a new hash: cookies issued before still stop working.
      await request(s.app)
        .post(manage)
        .set(SAME_ORIGIN)
        .type('form')
        .send({ url: TARGET, password: 'the new one' })
        .expect(303);
      expectNoTarget(await visit(s, 'locked').set('Cookie', second).expect(401));
      // Both a new password and the remove box: refused, nothing changes.
      const both = await request(s.app)
        .post(manage)
        .set(SAME_ORIGIN)
        .type('form')
        .send({ url: TARGET, password: 'x', remove_password: '1' })
        .expect(422);
      expect(both.text).not.toContain('value="x"');
      await unlock(s, 'locked', 'the new one').expect(303);
      // Removed: the link redirects to anyone, and the form offers no remove box any more.
      await request(s.app)
        .post(manage)
        .set(SAME_ORIGIN)
        .type('form')
        .send({ url: TARGET, remove_password: '1' })
        .expect(303);
      await visit(s, 'locked').expect(302).expect('Location', TARGET);
      expect((await request(s.app).get(manage)).text).not.toContain('name="remove_password"');

      // The admin sees that a link is protected, and removes the password.
      const cookie = await signIn(s);
      const created = await adminPost(s, cookie, '/admin/links', {
        url: TARGET,
        alias: 'adminlock',
        password: PASSWORD,
      });
      expect(created.status).toBe(303);
      const unlocked = unlockCookie(await unlock(s, 'adminlock', PASSWORD).expect(303)).pair;
      const adminPage = await request(s.app)
        .get('/admin/links/adminlock')
        .set('Cookie', cookie)
        .expect(200);
      expect(adminPage.text).toContain('Protected');
      expect(adminPage.text).toContain('/admin/links/adminlock/remove-password');
      expect(adminPage.text).not.toContain('scrypt');
      const list = await request(s.app).get('/admin?q=adminlock').set('Cookie', cookie).expect(200);
      expect(list.text).toMatch(/<span class="badge">password<\/span>/);
      expect(list.text).not.toContain('scrypt');
      await adminPost(s, cookie, '/admin/links/adminlock/remove-password').expect(303);
      await visit(s, 'adminlock').expect(302);
      expect(
        (await request(s.app).get('/admin/links/adminlock').set('Cookie', cookie)).text,
      ).toContain('None');
      // Set again through the API, the earlier cookie does not come back to life.
      const key = await apiKey(s);
      await request(s.app)
        .patch('/api/v1/links/adminlock')
        .set('Authorization', `Bearer ${key}`)
        .send({ password: PASSWORD })
        .expect(200);
      expectNoTarget(await visit(s, 'adminlock').set('Cookie', unlocked).expect(401));
    });

    it('RATE_LIMIT_PASSWORD counts wrong attempts per link and client; past it even the right password and Basic auth get 429, and /metrics counts the failures', async () => {
      const s = await build({ RATE_LIMITS: 'on', RATE_LIMIT_PASSWORD: '3/15min', METRICS_TOKEN });
      await managedLink(s, TARGET, 'locked', { password: PASSWORD });
      await managedLink(s, 'https://other.example/', 'other', { password: PASSWORD });
      // The right password counts nothing.
      await unlock(s, 'locked', PASSWORD).expect(303);
      await unlock(s, 'locked', 'wrong 1').expect(401);
      await visit(s, 'locked').auth('x', 'wrong 2').expect(401);
      await unlock(s, 'locked', 'wrong 3').expect(401);
      for (const attempt of [
        unlock(s, 'locked', PASSWORD),
        visit(s, 'locked').auth('x', PASSWORD),
        unlock(s, 'locked', 'wrong 4'),
      ]) {
        const refused = await attempt.expect(429);
        expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
        expectNoTarget(refused);
      }
      // Another link, from the same client, is not limited.
      await unlock(s, 'other', PASSWORD).expect(303);
      const metrics = await request(s.app)
        .get('/metrics')
        .set('Authorization', `Bearer ${METRICS_TOKEN}`)
        .expect(200);
      expect(metrics.text).toMatch(/^snip_password_failures_total 3$/m);
      expect(metrics.text).toMatch(/^snip_rate_limited_total\{limit="password"\} 3$/m);

      // RATE_LIMITS=off turns it off like the others.
      const open = await build({ RATE_LIMITS: 'off', RATE_LIMIT_PASSWORD: '1/15min' });
      await managedLink(open, TARGET, 'locked', { password: PASSWORD });
      for (let i = 0; i < 3; i++) await unlock(open, 'locked', 'wrong').expect(401);
      await unlock(open, 'locked', PASSWORD).expect(303);
    });

    it('/api/v1 takes a write-only password on POST and PATCH, null removes it, and bad passwords are 4xx that change nothing', async () => {
      const s = await build();
      const key = await apiKey(s);
      const api = (method: 'post' | 'patch', path: string, body: object) =>
        request(s.app)[method](path).set('Authorization', `Bearer ${key}`).send(body);
      const created = await api('post', '/api/v1/links', {
        url: TARGET,
        alias: 'apilock',
        password: PASSWORD,
      }).expect(201);
      expect(created.body.hasPassword).toBe(true);
      expect(created.body).not.toHaveProperty('password');
      expectNoTarget(await visit(s, 'apilock').expect(401));
      await visit(s, 'apilock').auth('api', PASSWORD).expect(302);
      // `reuse` never hands out a link without the password asked for.
      const plain = await api('post', '/api/v1/links', { url: TARGET, reuse: true }).expect(201);
      expect(plain.body.hasPassword).toBe(false);
      const again = await api('post', '/api/v1/links', {
        url: TARGET,
        reuse: true,
        password: 'x',
      }).expect(201);
      expect(again.body.code).not.toBe(plain.body.code);

      const tooLong = 'é'.repeat(512) + 'a';
      for (const [body, status] of [
        [{ password: tooLong }, 400],
        [{ password: 'tab\there' }, 400],
        [{ password: '' }, 400],
        [{ password: 1234 }, 400],
        [{ password: ['a'] }, 400],
      ] as const) {
        const refused = await api('post', '/api/v1/links', {
          url: 'https://new.example/',
          ...body,
        });
        expect(refused.status).toBe(status);
        expect(refused.headers['content-type']).toMatch(/problem\+json/);
        const patched = await api('patch', '/api/v1/links/apilock', { maxVisits: 9, ...body });
        expect(patched.status).toBe(status);
      }
      // Exactly 1,024 bytes is fine.
      await api('patch', '/api/v1/links/apilock', { password: 'é'.repeat(512) }).expect(200);
      const unchanged = await api('get' as 'post', '/api/v1/links/apilock', {});
      expect(unchanged.body.maxVisits).toBeNull();
      await visit(s, 'apilock').auth('api', 'é'.repeat(512)).expect(302);
      const removed = await api('patch', '/api/v1/links/apilock', { password: null }).expect(200);
      expect(removed.body.hasPassword).toBe(false);
      await visit(s, 'apilock').expect(302);
      const listed = await request(s.app)
        .get('/api/v1/links')
        .set('Authorization', `Bearer ${key}`)
        .expect(200);
      for (const link of listed.body.data) expect(typeof link.hasPassword).toBe('boolean');
    });

    it('the forms refuse a bad password with a 4xx that stores nothing, never echo it, and the export says only has_password', async () => {
      const s = await build();
      for (const password of ['é'.repeat(513), 'bell\u0007', 'new\nline']) {
        const res = await shorten(s, TARGET, 'refused', { password });
        expect(res.status).toBe(422);
        expect(res.text).not.toContain(password);
        expect(res.text).toMatch(/<details[^>]*open/);
      }
      const twice = await request(s.app)
        .post('/shorten')
        .set(SAME_ORIGIN)
        .type('form')
        .send('url=https%3A%2F%2Fa.example%2F&password=a&password=b');
      expect(twice.status).toBe(400);
      await request(s.app).get('/refused').expect(404);
      const manage = await managedLink(s, TARGET, 'kept', { password: PASSWORD });
      const bad = await request(s.app)
        .post(manage)
        .set(SAME_ORIGIN)
        .type('form')
        .send({ url: 'https://changed.example/', password: 'x'.repeat(1025) })
        .expect(422);
      expect(bad.text).not.toContain('x'.repeat(1025));
      await visit(s, 'kept').auth('x', PASSWORD).expect(302).expect('Location', TARGET);

      const cookie = await signIn(s);
      const exported = await request(s.app)
        .get('/admin/export.csv')
        .set('Cookie', cookie)
        .expect(200);
      const [header, row] = exported.text.split('\r\n');
      const column = header!.split(',').indexOf('has_password');
      expect(column).toBeGreaterThan(0);
      expect(row!.split(',')[column]).toBe('true');
      expect(exported.text).not.toContain('scrypt');
      expect(exported.text).not.toContain('sesame');
    });
  });

  it('health, QR codes and previews answer', async () => {
    const s = await build();
    await managedLink(s, 'https://a.example/', 'coded');
    const health = await request(s.app).get('/healthz').expect(200);
    expect(health.body).toEqual({ status: 'ok', database: { answers: true, writable: true } });
    const png = await request(s.app).get('/qr/coded.png').expect(200);
    expect(png.headers['content-type']).toBe('image/png');
    const preview = await request(s.app).get('/coded+').expect(200);
    expect(preview.text).toContain('a.example');
  });

  it('query forwarding: on for new links in every door, off when unticked or set off, and the redirect adds the query', async () => {
    const s = await build({ MAX_URL_LENGTH: '80' });
    const key = await apiKey(s);
    const api = (method: 'get' | 'post' | 'patch', path: string) =>
      request(s.app)[method](`/api/v1${path}`).set('Authorization', `Bearer ${key}`);
    const locationOf = async (path: string, status = 302) =>
      (await request(s.app).get(path).set('User-Agent', BROWSER).expect(status)).headers.location;
    const box = { forwardQuery: 'on', forwardQuery_shown: '1' };

    // The home form: ticked, unticked (only the marker), and a script without the box.
    const manage = await managedLink(s, 'https://a.example/p?x=1#top', 'fwd', box);
    await managedLink(s, 'https://a.example/off', 'unticked', { forwardQuery_shown: '1' });
    await managedLink(s, 'https://a.example/script', 'script');
    expect(await locationOf('/fwd?x=2&a=b%20c')).toBe('https://a.example/p?x=1&x=2&a=b%20c#top');
    const head = await request(s.app).head('/fwd?a=1').expect(302);
    expect(head.headers.location).toBe('https://a.example/p?x=1&a=1#top');
    expect(head.headers['cache-control']).toBe('private, max-age=0');
    expect(await locationOf('/fwd')).toBe('https://a.example/p?x=1#top');
    expect(await locationOf('/unticked?a=1')).toBe('https://a.example/off');
    expect(await locationOf('/script?a=1')).toBe('https://a.example/script?a=1');
    // Longer than MAX_URL_LENGTH (80) once forwarded: the plain target, never an error.
    expect(await locationOf(`/fwd?a=${'x'.repeat(60)}`)).toBe('https://a.example/p?x=1#top');
    // Browser visits count, HEAD does not: as for every redirect.
    expect(await s.flushVisits()).toBe(5);

    // The management page shows the box as stored, and unticking it turns forwarding off.
    expect((await request(s.app).get(manage).expect(200)).text).toMatch(
      /name="forwardQuery" type="checkbox" value="on" checked/,
    );
    await request(s.app)
      .post(manage)
      .set(SAME_ORIGIN)
      .type('form')
      .send({ url: 'https://a.example/p?x=1#top', redirect: '302', forwardQuery_shown: '1' })
      .expect(303);
    expect(await locationOf('/fwd?a=1')).toBe('https://a.example/p?x=1#top');
    expect((await request(s.app).get(manage).expect(200)).text).toMatch(
      /name="forwardQuery" type="checkbox" value="on"\s+aria-describedby/,
    );
    const refused = await request(s.app)
      .post(manage)
      .set(SAME_ORIGIN)
      .type('form')
      .send({ url: 'https://a.example/changed', forwardQuery: 'yes', forwardQuery_shown: '1' });
    expect(refused.status).toBe(422);
    expect(refused.text).toContain('Tick the box or leave it unticked.');
    expect(await locationOf('/fwd')).toBe('https://a.example/p?x=1#top');

    // The admin's new link and its page.
    const cookie = await signIn(s);
    await adminPost(s, cookie, '/admin/links', {
      url: 'https://a.example/admin',
      alias: 'by-admin',
      forwardQuery_shown: '1',
    }).expect(303);
    expect(await locationOf('/by-admin?a=1')).toBe('https://a.example/admin');
    const adminPage = await request(s.app)
      .get('/admin/links/fwd')
      .set('Cookie', cookie)
      .expect(200);
    expect(adminPage.text).toContain('Query forwarding');

    // /api/v1: omitted is on; false is off; PATCH changes it at once; a non-boolean is a 400.
    const created = await api('post', '/links').send({
      url: 'https://a.example/api',
      alias: 'api-fwd',
    });
    expect(created.body.forwardQuery).toBe(true);
    expect(await locationOf('/api-fwd?a=1')).toBe('https://a.example/api?a=1');
    const off = await api('post', '/links').send({
      url: 'https://a.example/api-off',
      alias: 'api-off',
      forwardQuery: false,
    });
    expect(off.body.forwardQuery).toBe(false);
    expect(await locationOf('/api-off?a=1')).toBe('https://a.example/api-off');
    const patched = await api('patch', '/links/api-fwd').send({ forwardQuery: false });
    expect(patched.body.forwardQuery).toBe(false);
    expect(await locationOf('/api-fwd?a=1')).toBe('https://a.example/api');
    for (const bad of ['yes', 1, null, [true]]) {
      const res = await api('patch', '/links/api-off').send({ forwardQuery: bad });
      expect(res.status, JSON.stringify(bad)).toBe(400);
    }
    expect(
      (await api('post', '/links').send({ url: 'https://a.example/x', forwardQuery: 'true' }))
        .status,
    ).toBe(400);
    expect((await api('get', '/links/api-off')).body.forwardQuery).toBe(false);

    // Shlink: default on, false kept, PATCH sets it, answers say it.
    const shlink = (method: 'post' | 'patch', path: string) =>
      request(s.app)[method](`/rest/v3${path}`).set('X-Api-Key', key);
    const shl = await shlink('post', '/short-urls').send({
      longUrl: 'https://a.example/shl',
      customSlug: 'shl',
    });
    expect(shl.body.forwardQuery).toBe(true);
    const shlOff = await shlink('post', '/short-urls').send({
      longUrl: 'https://a.example/shl-off',
      customSlug: 'shl-off',
      forwardQuery: false,
    });
    expect(shlOff.body.forwardQuery).toBe(false);
    expect(await locationOf('/shl-off?a=1')).toBe('https://a.example/shl-off');
    const shlOn = await shlink('patch', '/short-urls/shl-off').send({ forwardQuery: true });
    expect(shlOn.status).toBe(200);
    expect(shlOn.body).toMatchObject({ forwardQuery: true, longUrl: 'https://a.example/shl-off' });
    expect(await locationOf('/shl-off?a=1')).toBe('https://a.example/shl-off?a=1');
    expect((await shlink('patch', '/short-urls/shl-off').send({ forwardQuery: 'no' })).status).toBe(
      400,
    );

    // Kutt and YOURLS have no such field: their links forward, as every new link does.
    await request(s.app)
      .post('/api/v2/links')
      .set('X-API-KEY', key)
      .send({ target: 'https://a.example/kutt', customurl: 'ktt' })
      .expect(201);
    expect(await locationOf('/ktt?a=1')).toBe('https://a.example/kutt?a=1');

    // A link stored before the column existed (the migration's DEFAULT) does not forward.
    await s.execute(
      `INSERT INTO urls (code, target, created, updated) VALUES ('older', 'https://a.example/older', 1, 1)`,
    );
    expect(await locationOf('/older?a=1')).toBe('https://a.example/older');

    // Export and import carry it.
    const exported = await request(s.app).get('/admin/export.csv').set('Cookie', cookie);
    expect(exported.status).toBe(200);
    const rows = exportedColumn(exported.text, 'forward_query');
    expect([rows.get('fwd'), rows.get('script'), rows.get('older')]).toEqual([
      'false',
      'true',
      'false',
    ]);
    const other = await build();
    await importInto(other, exported.text);
    const otherLocation = async (path: string) =>
      (await request(other.app).get(path).expect(302)).headers.location;
    expect(await otherLocation('/fwd?a=1')).toBe('https://a.example/p?x=1#top');
    expect(await otherLocation('/script?a=1')).toBe('https://a.example/script?a=1');
  });

  it('the privacy page names the engine and where the rate limits keep their counters', async () => {
    const s = await build({ RATE_LIMITS: 'on' });
    const page = (await request(s.app).get('/privacy').expect(200)).text;
    expect(page).toContain(`Its database is ${engine === 'sqlite' ? 'SQLite' : 'PostgreSQL'}.`);
    expect(page).toContain(
      engine === 'sqlite' ? 'kept in this server’s memory only' : 'rate_limits table',
    );
  });

  it('the statistics pages show each dimension with unique visitors, refuse a bad range with 400, and download the CSV', async () => {
    const s = await build();
    const manage = await managedLink(s, 'https://a.example/', 'dims');
    await visit(s, 'dims').set({ 'Accept-Language': 'de-DE,de;q=0.9' }).expect(302);
    await visit(s, 'dims').set({ Referer: 'https://news.example/x', 'Accept-Language': 'fr' });
    await visit(s, 'dims').set({ DNT: '1', Referer: 'https://news.example/y' }).expect(302);
    expect(await s.flushVisits()).toBe(3);
    const page = (await request(s.app).get(`${manage}?days=7`).expect(200)).text;
    expect(page).toMatch(/Visits, the last 7 days<\/dt><dd>3</);
    expect(page).toMatch(/Unique visitors, the last 7 days<\/dt><dd>1</);
    expect(page).toMatch(
      />Firefox<\/bdi><\/th>\s*<td class="num">2<\/td>\s*<td class="num">1<\/td>/,
    );
    expect(page).toMatch(/>German<\/bdi><\/th>\s*<td class="num">1<\/td>/);
    expect(page).toMatch(/>news\.example<\/bdi><\/th>\s*<td class="num">1<\/td>/);
    await request(s.app).get(`${manage}?from=2026-02-30`).expect(400);
    const csv = (await request(s.app).get(`${manage}/stats.csv?days=7`).expect(200)).text;
    const rows = csv.split('\r\n').map((row) => row.split(',').slice(1).join(','));
    expect(rows).toEqual([
      'dimension,value,visits,unique_visitors',
      expect.stringMatching(/^day,\d{4}-\d{2}-\d{2},3,1$/),
      'country,unknown,2,1',
      'browser,firefox,2,1',
      'os,linux,2,1',
      'device,desktop,2,1',
      'language,de,1,1',
      'language,fr,1,1',
      'referrer,direct,1,1',
      'referrer,news.example,1,1',
      '',
    ]);
    const cookie = await signIn(s);
    const overview = await request(s.app).get('/admin/stats').set('Cookie', cookie).expect(200);
    expect(overview.text).toMatch(
      /<a href="\/admin\/links\/dims">\/dims<\/a><\/bdi><\/th>\s*<td class="num">3<\/td>\s*<td class="num">1<\/td>/,
    );
  });

  it('a start time: every door sets it, the redirect answers 404 until the instant (fast path and cache too), the listing and export carry it, and one after the expiry changes nothing', async () => {
    let clock = Date.UTC(2026, 11, 7, 12);
    const start = Date.UTC(2027, 0, 1, 9);
    const s = await buildEngineApp(
      engine,
      { BASE_URL: ORIGIN, ADMIN_PASSWORD },
      { now: () => clock },
    );
    const visitNow = (code: string) =>
      request(s.listener).get(`/${code}`).set('User-Agent', BROWSER);
    await managedLink(s, 'https://a.example/form', 'soon', { starts_at: '2027-01-01T09:00' });
    const key = await apiKey(s);
    const auth = { Authorization: `Bearer ${key}` };
    const api = await request(s.app)
      .post('/api/v1/links')
      .set(auth)
      .send({ url: 'https://a.example/api', alias: 'soon-api', startsAt: '2027-01-01T09:00:00Z' });
    expect(api.status).toBe(201);
    expect(api.body).toMatchObject({ startsAt: '2027-01-01T09:00:00.000Z', state: 'scheduled' });
    const shlink = await request(s.app).post('/rest/v3/short-urls').set({ 'X-Api-Key': key }).send({
      longUrl: 'https://a.example/shlink',
      customSlug: 'soon-shlink',
      validSince: '2027-01-01T09:00:00+00:00',
    });
    expect(shlink.status).toBe(200);
    expect(shlink.body.meta.validSince).toBe('2027-01-01T09:00:00+00:00');
    const codes = ['soon', 'soon-api', 'soon-shlink'];
    // The second visit of each is answered from the redirect cache.
    for (const code of [...codes, ...codes]) await visitNow(code).expect(404);
    const listed = await request(s.app).get('/api/v1/links?state=scheduled').set(auth).expect(200);
    expect(listed.body.data.map((link: { code: string }) => link.code).sort()).toEqual(codes);

    // A start at or after the expiry is refused in every door and changes nothing.
    const refused = await request(s.app)
      .patch('/api/v1/links/soon-api')
      .set(auth)
      .send({ expiresAt: '2026-12-31', url: 'https://a.example/changed' });
    expect(refused.status).toBe(422);
    expect(refused.body.errors).toEqual([
      { pointer: '/startsAt', detail: 'The start must be before the expiry.' },
    ]);
    const form = await shorten(s, 'https://a.example/never', 'never', {
      starts_at: '2027-03-01T00:00',
      expires_on: '2027-02-01',
    });
    expect(form.status).toBe(422);
    const shlinkRefused = await request(s.app)
      .patch('/rest/v3/short-urls/soon-shlink')
      .set({ 'X-Api-Key': key })
      .send({ validUntil: '2026-12-31T00:00:00+00:00' });
    expect(shlinkRefused.status).toBe(400);
    expect(shlinkRefused.body.invalidElements).toEqual(['validSince']);
    await request(s.app).get('/never').expect(404);

    clock = start - 1;
    for (const code of codes) await visitNow(code).expect(404);
    clock = start;
    for (const code of codes) {
      const hit = await visitNow(code).expect(302);
      expect(hit.headers.location).toBe(
        `https://a.example/${code.replace(/^soon-?/, '') || 'form'}`,
      );
    }

    const cookie = await signIn(s);
    const exported = await request(s.app).get('/admin/export.csv').set('Cookie', cookie);
    const [header, ...rows] = exported.text.split('\r\n').filter(Boolean);
    const column = header!.split(',').indexOf('starts_at');
    expect(rows.map((row) => row.split(',')[column])).toEqual(
      codes.map(() => '2027-01-01T09:00:00.000Z'),
    );
  });

  it('a link before its start, on an added domain, goes to its not-found redirect, never its expired one, until the instant', async () => {
    let clock = Date.UTC(2026, 11, 7, 12);
    const s = await buildEngineApp(
      engine,
      { BASE_URL: ORIGIN, ADMIN_PASSWORD },
      { now: () => clock },
    );
    const key = await apiKey(s);
    await request(s.app)
      .post('/api/v1/domains')
      .set('X-Api-Key', key)
      .send({
        host: 'go.example',
        notFoundRedirect: 'https://home.example/missing',
        expiredRedirect: 'https://home.example/gone',
      })
      .expect(201);
    await request(s.app)
      .post('/api/v1/links')
      .set('X-Api-Key', key)
      .send({
        url: 'https://a.example/later',
        alias: 'later',
        domain: 'go.example',
        startsAt: '2027-01-01T09:00:00Z',
      })
      .expect(201);
    const on = (door: typeof s.app | typeof s.listener) =>
      request(door).get('/later').set({ Host: 'go.example', 'User-Agent': BROWSER });
    for (const door of [s.app, s.listener]) {
      expect((await on(door).expect(302)).headers.location).toBe('https://home.example/missing');
    }
    clock = Date.UTC(2027, 0, 1, 9);
    for (const door of [s.app, s.listener]) {
      expect((await on(door).expect(302)).headers.location).toBe('https://a.example/later');
    }
  });

  it('Kutt adds and deletes a domain, makes and edits a link with every field; YOURLS logs in with a key’s name and the key', async () => {
    const s = await build();
    const key = await apiKey(s, 'kutt-yourls');
    const kutt = (method: 'get' | 'post' | 'patch' | 'delete', path: string) =>
      request(s.app)[method](`/api/v2${path}`).set('X-API-Key', key);
    const domain = await kutt('post', '/domains').send({ address: 'k.example' });
    expect(domain.status, domain.text).toBe(200);
    expect(domain.body).toMatchObject({ id: 'k.example', address: 'k.example' });
    const created = await kutt('post', '/links').send({
      target: 'https://a.example/kutt-all',
      customurl: 'kall',
      description: 'Every field',
      expire_in: '2 days',
      password: 'open-sesame',
      domain: 'k.example',
    });
    expect(created.status, created.text).toBe(201);
    expect(created.body).toMatchObject({
      id: 'kall@k.example',
      description: 'Every field',
      password: true,
      domain: 'k.example',
    });
    const edited = await kutt('patch', '/links/kall@k.example').send({
      target: 'https://a.example/kutt-edited',
      description: 'Edited',
      password: '',
    });
    expect(edited.status, edited.text).toBe(200);
    expect(edited.body).toMatchObject({ description: 'Edited', password: false });
    const sent = await request(s.app).get('/kall').set('Host', 'k.example').expect(302);
    expect(sent.headers.location).toBe('https://a.example/kutt-edited');
    // A domain with links stays (a deleted link keeps its code); one without goes.
    await kutt('delete', '/links/kall@k.example').expect(200);
    expect((await kutt('delete', '/domains/k.example')).status).toBe(400);
    await kutt('post', '/domains').send({ address: 'k2.example' }).expect(200);
    expect((await kutt('delete', '/domains/k2.example')).body).toEqual({
      message: 'Domain deleted successfully',
    });
    const users = await kutt('get', '/users').expect(200);
    expect(users.body.domains.map((d: { id: string }) => d.id)).toEqual(['k.example']);
    const login = { username: 'kutt-yourls', password: key, format: 'json' };
    const yourls = await request(s.app)
      .get('/yourls-api.php')
      .query({ ...login, action: 'shorturl', url: 'https://a.example/y', keyword: 'ylogin' });
    expect(yourls.status, yourls.text).toBe(200);
    const refused = await request(s.app)
      .get('/yourls-api.php')
      .query({ ...login, password: 'snip_wrong', action: 'db-stats' });
    expect(refused.status).toBe(403);
    const stats = await request(s.app)
      .get('/yourls-api.php')
      .query({ ...login, action: 'db-stats' });
    expect(JSON.parse(stats.text)).toMatchObject({ 'db-stats': { total_links: 1 } });
  });

  it('the share target and the bookmarklet fill the form and make nothing; the ShareX file makes a link with a pasted key', async () => {
    const s = await build();
    const shared = await request(s.app)
      .get('/')
      .query({ title: 'A page', text: 'A page https://shared.example/p', url: '' })
      .expect(200);
    expect(shared.text).toMatch(
      /<input id="url" name="url"[^>]*value="https:\/\/shared\.example\/p"/,
    );
    await request(s.app).get('/?url=https%3A%2F%2Fshared.example%2Fq').expect(200);
    expect(await s.store.links.countLinks()).toBe(0);
    const cookie = await signIn(s);
    const file = await request(s.app)
      .get('/admin/keys/snip.sxcu')
      .set('Cookie', cookie)
      .expect(200);
    const uploader = JSON.parse(file.text) as { Headers: Record<string, string>; Data: string };
    const key = await apiKey(s);
    const made = await request(s.app)
      .post('/api/v1/links')
      .set({
        Authorization: uploader.Headers.Authorization!.replace('PASTE_YOUR_SNIP_API_KEY_HERE', key),
        'Content-Type': 'application/json',
      })
      .send(uploader.Data.replace('{input}', 'https://shared.example/p'))
      .expect(201);
    expect(made.body.shortUrl).toMatch(/^https:\/\/s\.example\//);
    expect(await s.store.links.countLinks()).toBe(1);
  });

  it("Shlink's list sorts and filters, its visit lists sum tags, domains and orphans, and its tags are renamed and deleted", async () => {
    const s = await build();
    const key = await apiKey(s);
    const shlink = (method: 'get' | 'post' | 'put' | 'delete', path: string) =>
      request(s.app)[method](`/rest/v3${path}`).set('X-Api-Key', key);
    for (const [slug, longUrl, title, tags] of [
      ['sh-a', 'https://a.example/c', 'Zebra', ['fruit']],
      ['sh-b', 'https://a.example/a', 'apple', ['fruit', 'red']],
      ['sh-c', 'https://a.example/b', null, ['red']],
    ] as const) {
      await shlink('post', '/short-urls')
        .send({
          longUrl,
          customSlug: slug,
          title,
          tags,
          ...(slug === 'sh-a' ? { maxVisits: 1 } : {}),
        })
        .expect(200);
    }
    await visit(s, 'sh-a').expect(302);
    await visit(s, 'sh-b').expect(302);
    await visit(s, 'sh-b').expect(302);
    await request(s.app).get('/no-such-code').expect(404);
    await s.flushVisits();
    await s.flushNotFound();
    const codes = async (query: string) =>
      (await shlink('get', `/short-urls?${query}`).expect(200)).body.shortUrls.data.map(
        (u: { shortCode: string }) => u.shortCode,
      );
    expect(await codes('orderBy=title-ASC')).toEqual(['sh-c', 'sh-a', 'sh-b']);
    expect(await codes('orderBy=longUrl-ASC')).toEqual(['sh-b', 'sh-c', 'sh-a']);
    expect(await codes('orderBy=shortCode-DESC')).toEqual(['sh-c', 'sh-b', 'sh-a']);
    expect(await codes('orderBy=visits-DESC')).toEqual(['sh-b', 'sh-a', 'sh-c']);
    expect(await codes('tags[]=fruit&tags[]=red&tagsMode=all')).toEqual(['sh-b']);
    expect(await codes('searchTerm=RED&orderBy=shortCode-ASC')).toEqual(['sh-b', 'sh-c']);
    expect(await codes('excludeMaxVisitsReached=true&orderBy=shortCode-ASC')).toEqual([
      'sh-b',
      'sh-c',
    ]);
    expect(await codes('endDate=2000-01-01')).toEqual([]);
    expect(await codes('startDate=2000-01-01&orderBy=shortCode-ASC')).toEqual([
      'sh-a',
      'sh-b',
      'sh-c',
    ]);
    const total = async (path: string) =>
      (await shlink('get', path).expect(200)).body.visits.pagination.totalItems;
    expect(await total('/tags/fruit/visits')).toBe(3);
    expect(await total('/tags/RED/visits')).toBe(2);
    expect(await total('/domains/DEFAULT/visits')).toBe(3);
    expect(await total('/visits/non-orphan')).toBe(3);
    expect(await total('/visits/orphan')).toBe(1);
    await shlink('get', '/tags/none/visits').expect(404);
    await shlink('put', '/tags').send({ oldName: 'red', newName: 'Crimson' }).expect(204);
    await shlink('put', '/tags').send({ oldName: 'crimson', newName: 'FRUIT' }).expect(409);
    expect((await shlink('get', '/short-urls/sh-b').expect(200)).body.tags).toEqual([
      'fruit',
      'Crimson',
    ]);
    await shlink('delete', '/tags?tags[]=fruit').expect(204);
    expect((await shlink('get', '/short-urls/sh-b').expect(200)).body.tags).toEqual(['Crimson']);
    expect((await shlink('get', '/tags').expect(200)).body.tags.data).toEqual(['Crimson']);
  });

  it('crawlable: off for new links in every door, on when ticked or sent true, and only then the redirect leaves out noindex', async () => {
    const s = await build();
    const key = await apiKey(s);
    const api = (method: 'get' | 'post' | 'patch', path: string) =>
      request(s.app)[method](`/api/v1${path}`).set('Authorization', `Bearer ${key}`);
    const shlink = (method: 'get' | 'post' | 'patch', path: string) =>
      request(s.app)[method](`/rest/v3${path}`).set('X-Api-Key', key);
    /** The redirect's X-Robots-Tag, undefined when it has none (twice: the second from the cache). */
    const robotsOf = async (code: string) => {
      const first = await visit(s, code).expect(302);
      const again = await visit(s, code).expect(302);
      expect(again.headers['x-robots-tag']).toBe(first.headers['x-robots-tag']);
      return first.headers['x-robots-tag'] as string | undefined;
    };
    const box = /name="crawlable" type="checkbox" value="on" (checked)?/;

    // The home form: ticked, and left unticked (a browser sends nothing).
    const manage = await managedLink(s, 'https://a.example/c', 'crawl', { crawlable: 'on' });
    const hidden = await managedLink(s, 'https://a.example/h', 'hidden');
    expect(await robotsOf('crawl')).toBeUndefined();
    expect(await robotsOf('hidden')).toBe('noindex');
    expect(box.exec((await request(s.app).get(manage).expect(200)).text)?.[1]).toBe('checked');
    expect(box.exec((await request(s.app).get(hidden).expect(200)).text)?.[1]).toBeUndefined();
    // The management page: unticking it says noindex again at once; a bad value changes nothing.
    const edit = (path: string, form: object) =>
      request(s.app).post(path).set(SAME_ORIGIN).type('form').send(form);
    await edit(manage, { url: 'https://a.example/c' }).expect(303);
    expect(await robotsOf('crawl')).toBe('noindex');
    await edit(hidden, { url: 'https://a.example/h', crawlable: 'on' }).expect(303);
    expect(await robotsOf('hidden')).toBeUndefined();
    const refused = await edit(hidden, { url: 'https://a.example/h', crawlable: 'yes' });
    expect(refused.status).toBe(422);
    expect(refused.text).toContain('Tick the box or leave it unticked.');
    expect(await robotsOf('hidden')).toBeUndefined();

    // The admin: a new link, its page, and its edit form.
    const cookie = await signIn(s);
    await adminPost(s, cookie, '/admin/links', {
      url: 'https://a.example/admin',
      alias: 'by-admin',
      crawlable: 'on',
    }).expect(303);
    expect(await robotsOf('by-admin')).toBeUndefined();
    const adminPage = (code: string) =>
      request(s.app).get(`/admin/links/${code}`).set('Cookie', cookie).expect(200);
    expect((await adminPage('by-admin')).text).toContain('<dd>May index it</dd>');
    await adminPost(s, cookie, '/admin/links/by-admin/edit', {
      url: 'https://a.example/admin',
    }).expect(303);
    expect((await adminPage('by-admin')).text).toContain('<dd>Asked not to index it</dd>');
    expect(await robotsOf('by-admin')).toBe('noindex');

    // /api/v1: omitted is off; true is on; PATCH changes it at once; a non-boolean is a 400.
    const created = await api('post', '/links').send({
      url: 'https://a.example/api',
      alias: 'api-off',
    });
    expect(created.body.crawlable).toBe(false);
    const on = await api('post', '/links').send({
      url: 'https://a.example/api-on',
      alias: 'api-on',
      crawlable: true,
    });
    expect(on.body.crawlable).toBe(true);
    expect(await robotsOf('api-on')).toBeUndefined();
    expect((await api('patch', '/links/api-off').send({ crawlable: true })).body.crawlable).toBe(
      true,
    );
    expect(await robotsOf('api-off')).toBeUndefined();
    for (const bad of ['true', 1, null, [true]]) {
      const res = await api('patch', '/links/api-on').send({ crawlable: bad });
      expect(res.status, JSON.stringify(bad)).toBe(400);
    }
    expect((await api('get', '/links/api-on')).body.crawlable).toBe(true);

    // Shlink: default off, true kept, PATCH sets it and null leaves it; get and list answer it.
    const shl = await shlink('post', '/short-urls').send({
      longUrl: 'https://a.example/shl',
      customSlug: 'shl',
      crawlable: true,
    });
    expect(shl.body.crawlable).toBe(true);
    expect(await robotsOf('shl')).toBeUndefined();
    const plain = await shlink('post', '/short-urls').send({
      longUrl: 'https://a.example/shl-plain',
      customSlug: 'shl-plain',
    });
    expect(plain.body.crawlable).toBe(false);
    const patched = await shlink('patch', '/short-urls/shl').send({ crawlable: false });
    expect(patched.body).toMatchObject({ crawlable: false, longUrl: 'https://a.example/shl' });
    expect(await robotsOf('shl')).toBe('noindex');
    await shlink('patch', '/short-urls/shl-plain').send({ crawlable: true }).expect(200);
    await shlink('patch', '/short-urls/shl-plain').send({ crawlable: null }).expect(200);
    expect((await shlink('get', '/short-urls/shl-plain').expect(200)).body.crawlable).toBe(true);
    const listed = (await shlink('get', '/short-urls?orderBy=shortCode-ASC').expect(200)).body
      .shortUrls.data as { shortCode: string; crawlable: boolean }[];
    expect(listed.filter((u) => u.crawlable).map((u) => u.shortCode)).toEqual([
      'api-off',
      'api-on',
      'hidden',
      'shl-plain',
    ]);
    await shlink('patch', '/short-urls/shl').send({ crawlable: 'yes' }).expect(400);

    // Kutt has no such field: its links say noindex, as every new link does.
    await request(s.app)
      .post('/api/v2/links')
      .set('X-API-KEY', key)
      .send({ target: 'https://a.example/kutt', customurl: 'ktt' })
      .expect(201);
    expect(await robotsOf('ktt')).toBe('noindex');
    // A link stored before the column existed (the migration's DEFAULT) is not crawlable.
    await s.execute(
      `INSERT INTO urls (code, target, created, updated) VALUES ('older', 'https://a.example/older', 1, 1)`,
    );
    expect(await robotsOf('older')).toBe('noindex');
    // robots.txt keeps short links open to crawlers, so that they read the redirect's answer.
    const robots = (await request(s.app).get('/robots.txt').expect(200)).text.split('\n');
    expect(robots).not.toContain('Disallow: /');
    expect(robots).toContain('Disallow: /manage/');

    // Export and import carry it.
    const exported = await request(s.app).get('/admin/export.csv').set('Cookie', cookie);
    expect(exported.status).toBe(200);
    const cells = exportedColumn(exported.text, 'crawlable');
    expect([cells.get('hidden'), cells.get('crawl'), cells.get('older')]).toEqual([
      'true',
      'false',
      'false',
    ]);
    const other = await build();
    await importInto(other, exported.text);
    const otherRobots = async (code: string) =>
      (await request(other.app).get(`/${code}`).expect(302)).headers['x-robots-tag'];
    expect(await otherRobots('hidden')).toBeUndefined();
    expect(await otherRobots('crawl')).toBe('noindex');
  });
}

describe('on sqlite', () => suite('sqlite'));
describeWithPostgres('on postgres', () => suite('postgres'));
