import request from 'supertest';
import { afterEach, describe, expect, it } from 'vitest';
import { createKeyRepository } from '../../src/keys/key-store.sqlite.js';
import { createKeyService } from '../../src/keys/key-service.js';
import { createVisitCounter } from '../../src/stats/visit-counter.js';
import { createVisitRepository } from '../../src/stats/visit-store.sqlite.js';
import {
  buildTestApp,
  createTestDatabase,
  SAME_ORIGIN,
  type TestApp,
} from '../support/test-app.js';

const BROWSER =
  'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0 Safari/537.36';
const PROBLEM = /^application\/problem\+json/;

let t: TestApp;
let clock: number;
afterEach(() => t?.db.close());

/** An app on a controllable clock, with a full key and a create-only key. */
async function setup(env: Record<string, string> = {}) {
  clock = Date.UTC(2026, 10, 29, 12, 0, 0);
  const db = createTestDatabase();
  const visitCounter = createVisitCounter({ visits: createVisitRepository(db), now: () => clock });
  t = buildTestApp(
    { BASE_URL: 'https://s.example', ...env },
    { db, now: () => clock, visitCounter },
  );
  const keys = createKeyService({ keys: createKeyRepository(db), now: () => clock });
  return {
    keys,
    visitCounter,
    full: (await keys.createKey({ name: 'full', scope: 'full', expiresAt: null }))!,
    createOnly: (await keys.createKey({ name: 'bot', scope: 'create-only', expiresAt: null }))!,
  };
}

const api = () => request(t.app);
const create = (body: unknown, key?: string) => {
  const req = api().post('/api/v1/links');
  if (key) req.set('Authorization', `Bearer ${key}`);
  return req.send(body as object);
};

describe('POST /api/v1/links', () => {
  it('when a URL is sent with options, then 201 with an absolute short URL, Location, and a management link that works', async () => {
    await setup();
    const res = await create({
      url: 'https://Example.COM/a b',
      alias: 'launch',
      redirectType: 308,
      expiresAt: '2027-01-31',
      maxVisits: 10,
    }).expect(201);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.headers.location).toBe('https://s.example/launch');
    expect(res.body).toEqual({
      code: 'launch',
      domain: 's.example',
      shortUrl: 'https://s.example/launch',
      url: 'https://example.com/a%20b',
      redirectType: 308,
      state: 'active',
      expiresAt: '2027-02-01T00:00:00.000Z',
      maxVisits: 10,
      forwardQuery: true,
      title: null,
      rules: [],
      startsAt: null,
      crawlable: false,
      tags: [],
      visits: { total: 0, lastVisitAt: null },
      createdAt: '2026-11-29T12:00:00.000Z',
      updatedAt: '2026-11-29T12:00:00.000Z',
      hasPassword: false,
      manageUrl: expect.stringMatching(/^https:\/\/s\.example\/manage\/[A-Za-z0-9_-]{32}$/),
    });
    await api().get(new URL(res.body.manageUrl).pathname).expect(200);
    await api().get('/launch').expect(308).expect('Location', 'https://example.com/a%20b');
  });

  it('when the expiry is a date-time with a zone, then the link stops at that instant', async () => {
    await setup();
    const res = await create({ url: 'https://a.example/', expiresAt: '2027-01-01T10:00:00+02:00' });
    expect(res.body.expiresAt).toBe('2027-01-01T08:00:00.000Z');
  });

  it('when the client asks for text/plain, then the answer is the bare short URL', async () => {
    await setup();
    const res = await api()
      .post('/api/v1/links')
      .set('Accept', 'text/plain')
      .send({ url: 'https://a.example/', alias: 'plain1' })
      .expect(201);
    expect(res.headers['content-type']).toMatch(/^text\/plain/);
    expect(res.text).toBe('https://s.example/plain1');
  });

  it('when reuse is asked and an active link the same key made to the same URL exists, then it is answered with 200 and nothing new is stored', async () => {
    const { full } = await setup();
    const first = await create({ url: 'https://a.example/same' }, full).expect(201);
    const again = await create({ url: 'https://A.example/same', reuse: true }, full).expect(200);
    expect(again.body.code).toBe(first.body.code);
    expect(again.body.manageUrl).toBeUndefined();
    expect(t.countLinks()).toBe(1);
    // Without reuse, the same URL gets a link of its own.
    await create({ url: 'https://a.example/same' }, full).expect(201);
    expect(t.countLinks()).toBe(2);
  });

  it('when reuse is asked by another key or without a key, then a new link is made and the first one’s management link stays with its maker', async () => {
    const { full, createOnly } = await setup();
    const first = await create({ url: 'https://a.example/mine' }, full).expect(201);
    const other = await create({ url: 'https://a.example/mine', reuse: true }, createOnly);
    expect(other.status).toBe(201);
    expect(other.body.code).not.toBe(first.body.code);
    expect(other.body.manageUrl).not.toBe(first.body.manageUrl);
    const anonymous = await create({ url: 'https://a.example/mine', reuse: true }).expect(201);
    expect([first.body.code, other.body.code]).not.toContain(anonymous.body.code);
    expect(t.countLinks()).toBe(3);
  });

  it('when reuse is asked but the only link to the URL is disabled, then a new link is made', async () => {
    const { full } = await setup();
    const first = await create({ url: 'https://a.example/off' }, full).expect(201);
    await api().post(`/api/v1/links/${first.body.code}/disable`).set('X-Api-Key', full).expect(200);
    const again = await create({ url: 'https://a.example/off', reuse: true }, full).expect(201);
    expect(again.body.code).not.toBe(first.body.code);
  });

  it('when the URL has no scheme, then the API refuses it rather than guess (row 10)', async () => {
    await setup();
    const res = await create({ url: 'evil.example' }).expect(422);
    expect(res.headers['content-type']).toMatch(PROBLEM);
    expect(res.body).toMatchObject({
      type: '/api/v1/problems/refused',
      status: 422,
      errors: [{ pointer: '/url', detail: 'Start the link with http:// or https://.' }],
    });
  });

  it('when the alias is taken, then 409 with the alias-taken problem, and a deleted link’s code stays taken', async () => {
    const { full } = await setup();
    await create({ url: 'https://a.example/', alias: 'mine' }).expect(201);
    const taken = await create({ url: 'https://b.example/', alias: 'mine' }).expect(409);
    expect(taken.body).toMatchObject({
      type: '/api/v1/problems/alias-taken',
      errors: [{ pointer: '/alias' }],
    });
    await api().delete('/api/v1/links/mine').set('X-Api-Key', full).expect(204);
    await create({ url: 'https://b.example/', alias: 'mine' }).expect(409);
  });

  it('when the expiry has passed or the visit limit is not a whole number, then the fields are named', async () => {
    await setup();
    const past = await create({ url: 'https://a.example/', expiresAt: '2026-11-28' }).expect(422);
    expect(past.body.errors).toEqual([{ pointer: '/expiresAt', detail: 'must be in the future' }]);
    const wrong = await create({
      url: 'https://a.example/',
      maxVisits: 1.5,
      redirectType: 303,
    }).expect(400);
    expect(wrong.body.errors).toEqual([
      { pointer: '/redirectType', detail: 'redirectType must be 301, 302, 307 or 308' },
      { pointer: '/maxVisits', detail: 'maxVisits must be a whole number' },
    ]);
  });
});

describe('keys and access', () => {
  it('when a key is sent as Bearer or as X-Api-Key, then both work; a wrong, revoked or expired key is a 401', async () => {
    const { keys, full } = await setup();
    await api().get('/api/v1/links').set('Authorization', `Bearer ${full}`).expect(200);
    await api().get('/api/v1/links').set('X-Api-Key', full).expect(200);
    const wrong = await api().get('/api/v1/links').set('X-Api-Key', `${full}x`).expect(401);
    expect(wrong.body).toMatchObject({
      type: '/api/v1/problems/unauthorized',
      detail: 'The API key is not a key of this snip.',
    });

    const soon = (await keys.createKey({ name: 'soon', scope: 'full', expiresAt: clock + 1000 }))!;
    await api().get('/api/v1/links').set('X-Api-Key', soon).expect(200);
    clock += 1000;
    const expired = await api().get('/api/v1/links').set('X-Api-Key', soon).expect(401);
    expect(expired.body.detail).toBe('The API key has expired.');

    await keys.revokeKey('full');
    const revoked = await api().get('/api/v1/links').set('X-Api-Key', full).expect(401);
    expect(revoked.body.detail).toBe('The API key was revoked.');
  });

  it('when a create-only key is used, then it can create and nothing else', async () => {
    const { createOnly } = await setup();
    await create({ url: 'https://a.example/', alias: 'bot-made' }, createOnly).expect(201);
    for (const [method, path] of [
      ['get', '/api/v1/links'],
      ['get', '/api/v1/links/bot-made'],
      ['delete', '/api/v1/links/bot-made'],
      ['post', '/api/v1/links/bot-made/disable'],
    ] as const) {
      const res = await api()[method](path).set('X-Api-Key', createOnly);
      expect(res.status, `${method} ${path}`).toBe(403);
      expect(res.body.type).toBe('/api/v1/problems/forbidden');
    }
    await api().get('/bot-made').expect(302);
  });

  it('when no key is sent, then creation works while CREATE_ACCESS is public and every other route is a 401', async () => {
    await setup();
    await create({ url: 'https://a.example/' }).expect(201);
    for (const path of ['/api/v1/links', '/api/v1/links/x']) {
      const res = await api().get(path).expect(401);
      expect(res.headers['content-type']).toMatch(PROBLEM);
    }
  });

  it('when CREATE_ACCESS is private, then anonymous creation is a 401, a key still works, and the home page offers no form', async () => {
    const { full } = await setup({ CREATE_ACCESS: 'private' });
    const refused = await create({ url: 'https://a.example/' }).expect(401);
    expect(refused.body.detail).toBe('Creating links on this snip needs an API key.');
    await create({ url: 'https://a.example/' }, full).expect(201);
    const home = await api().get('/').expect(200);
    expect(home.text).toContain('Shortening here is private');
    expect(home.text).not.toContain('action="/shorten"');
    const form = await api()
      .post('/shorten')
      .set(SAME_ORIGIN)
      .type('form')
      .send({ url: 'https://a.example/' });
    expect(form.status).toBe(403);
    expect(t.countLinks()).toBe(1);
  });
});

describe('reading and listing links', () => {
  it('when a link is read, then it comes with its statistics: total, last visit, per day and top referrers', async () => {
    const { full, visitCounter } = await setup();
    await create({ url: 'https://a.example/', alias: 'popular' }).expect(201);
    for (const referer of ['https://news.example/a', 'https://news.example/b', '']) {
      await api()
        .get('/popular')
        .set({ 'User-Agent': BROWSER, ...(referer ? { Referer: referer } : {}) })
        .expect(302);
    }
    // A bot is not counted.
    await api().get('/popular').set('User-Agent', 'Googlebot/2.1').expect(302);
    visitCounter.flush();
    const res = await api().get('/api/v1/links/popular').set('X-Api-Key', full).expect(200);
    expect(res.body.visits).toEqual({ total: 3, lastVisitAt: '2026-11-29T12:00:00.000Z' });
    expect(res.body.stats).toEqual({
      perDay: [{ day: '2026-11-29', count: 3 }],
      topReferrers: [
        { host: 'news.example', count: 2 },
        { host: '', count: 1 },
      ],
    });
  });

  it('when links are listed, then pages, search, state filter and order work, with totals', async () => {
    const { full } = await setup();
    for (let i = 0; i < 7; i++) {
      clock += 1000;
      await create({ url: `https://site${i % 2}.example/${i}`, alias: `item-${i}` }).expect(201);
    }
    await api().post('/api/v1/links/item-3/disable').set('X-Api-Key', full).expect(200);
    const list = (query: string) =>
      api().get(`/api/v1/links?${query}`).set('X-Api-Key', full).expect(200);

    const page2 = await list('perPage=3&page=2');
    expect(page2.body.pagination).toEqual({ page: 2, perPage: 3, totalItems: 7, totalPages: 3 });
    expect(page2.body.data.map((l: { code: string }) => l.code)).toEqual([
      'item-3',
      'item-2',
      'item-1',
    ]);

    const oldest = await list('direction=asc&perPage=2');
    expect(oldest.body.data.map((l: { code: string }) => l.code)).toEqual(['item-0', 'item-1']);

    const search = await list('search=SITE1.example');
    expect(search.body.pagination.totalItems).toBe(3);

    const disabled = await list('state=disabled');
    expect(
      disabled.body.data.map((l: { code: string; state: string }) => [l.code, l.state]),
    ).toEqual([['item-3', 'disabled']]);
    const active = await list('state=active');
    expect(active.body.pagination.totalItems).toBe(6);
  });

  it('when a search holds % or _, then they are literal characters, not wildcards', async () => {
    const { full } = await setup();
    await create({ url: 'https://a.example/100%25', alias: 'percent' }).expect(201);
    await create({ url: 'https://a.example/1000', alias: 'other' }).expect(201);
    const res = await api().get('/api/v1/links?search=0%25').set('X-Api-Key', full).expect(200);
    expect(res.body.data.map((l: { code: string }) => l.code)).toEqual(['percent']);
  });

  it('when the query is wrong, then 400 names each parameter, and a repeated one is refused', async () => {
    const { full } = await setup();
    const res = await api()
      .get('/api/v1/links?perPage=101&state=gone&sort=x&page=1&page=2')
      .set('X-Api-Key', full)
      .expect(400);
    expect(res.body.errors.map((e: { pointer: string }) => e.pointer).sort()).toEqual([
      '/page',
      '/perPage',
      '/sort',
      '/state',
    ]);
  });
});

describe('changing links', () => {
  it('when a link is patched, then only the fields sent change, and null clears an expiry', async () => {
    const { full } = await setup();
    await create({
      url: 'https://a.example/',
      alias: 'edit-me',
      expiresAt: '2027-01-01',
      maxVisits: 5,
    }).expect(201);
    clock += 5000;
    const res = await api()
      .patch('/api/v1/links/edit-me')
      .set('X-Api-Key', full)
      .send({ url: 'https://b.example/', expiresAt: null })
      .expect(200);
    expect(res.body).toMatchObject({
      url: 'https://b.example/',
      expiresAt: null,
      maxVisits: 5,
      redirectType: 302,
      updatedAt: '2026-11-29T12:00:05.000Z',
    });
    await api().get('/edit-me').expect(302).expect('Location', 'https://b.example/');
  });

  it('when a patch is refused by the URL policy or is empty, then nothing changes', async () => {
    const { full } = await setup();
    await create({ url: 'https://a.example/', alias: 'keep-it' }).expect(201);
    const refused = await api()
      .patch('/api/v1/links/keep-it')
      .set('X-Api-Key', full)
      .send({ url: 'http://10.0.0.1/' })
      .expect(422);
    expect(refused.body.errors).toEqual([
      {
        pointer: '/url',
        detail: "Links to private or local network addresses can't be used as a destination.",
      },
    ]);
    const empty = await api()
      .patch('/api/v1/links/keep-it')
      .set('X-Api-Key', full)
      .send({})
      .expect(400);
    expect(empty.body.errors[0].detail).toBe('send at least one field to change');
    await api().get('/keep-it').expect(302).expect('Location', 'https://a.example/');
  });

  it('when a link is disabled, enabled and deleted, then visitors see 410, 302 and 410, and a deleted link cannot be changed', async () => {
    const { full } = await setup();
    await create({ url: 'https://a.example/', alias: 'cycle' }).expect(201);
    const off = await api().post('/api/v1/links/cycle/disable').set('X-Api-Key', full).expect(200);
    expect(off.body.state).toBe('disabled');
    await api().get('/cycle').expect(410);
    await api().post('/api/v1/links/cycle/enable').set('X-Api-Key', full).expect(200);
    await api().get('/cycle').expect(302);
    await api().delete('/api/v1/links/cycle').set('X-Api-Key', full).expect(204);
    await api().get('/cycle').expect(410);
    const gone = await api().get('/api/v1/links/cycle').set('X-Api-Key', full).expect(200);
    expect(gone.body).toMatchObject({ state: 'deleted', url: null });
    await api()
      .patch('/api/v1/links/cycle')
      .set('X-Api-Key', full)
      .send({ maxVisits: 3 })
      .expect(404);
    await api().delete('/api/v1/links/cycle').set('X-Api-Key', full).expect(404);
  });
});

describe('rate limits of the API', () => {
  it('when a key goes past RATE_LIMIT_API, then 429 with Retry-After and RateLimit headers, per key', async () => {
    const { keys, full } = await setup({ RATE_LIMITS: 'on', RATE_LIMIT_API: '3/min' });
    for (let i = 0; i < 3; i++) {
      const ok = await api().get('/api/v1/links').set('X-Api-Key', full).expect(200);
      expect(ok.headers['ratelimit-remaining']).toBe(String(2 - i));
    }
    const limited = await api().get('/api/v1/links').set('X-Api-Key', full).expect(429);
    expect(limited.headers['retry-after']).toMatch(/^\d+$/);
    expect(limited.body.type).toBe('/api/v1/problems/rate-limited');
    const other = (await keys.createKey({ name: 'other', scope: 'full', expiresAt: null }))!;
    await api().get('/api/v1/links').set('X-Api-Key', other).expect(200);
  });

  it('when anonymous clients create through the API and the form, then both count against the same RATE_LIMIT_CREATE', async () => {
    await setup({ RATE_LIMITS: 'on', RATE_LIMIT_CREATE: '2/min' });
    await create({ url: 'https://a.example/1' }).expect(201);
    await api()
      .post('/shorten')
      .set(SAME_ORIGIN)
      .type('form')
      .send({ url: 'https://a.example/2' })
      .expect(303);
    const limited = await create({ url: 'https://a.example/3' }).expect(429);
    expect(limited.headers['retry-after']).toMatch(/^\d+$/);
    expect(t.countLinks()).toBe(2);
  });
});

describe('errors of the API', () => {
  it('when a route does not exist, then a 404 problem document, never a page', async () => {
    await setup();
    const res = await api().get('/api/v1/nothing').expect(404);
    expect(res.headers['content-type']).toMatch(PROBLEM);
    expect(res.body.type).toBe('/api/v1/problems/not-found');
  });

  it('when a problem type is followed, then it describes the kind of error', async () => {
    await setup();
    const res = await api().get('/api/v1/problems/alias-taken').expect(200);
    expect(res.body).toEqual({
      type: '/api/v1/problems/alias-taken',
      title: 'The alias is taken',
      status: 409,
    });
    await api().get('/api/v1/problems/constructor').expect(404);
  });

  it('when a browser page on an origin CORS_ORIGINS lists calls the API with a key, then CORS allows it; without a key it is refused', async () => {
    const { full } = await setup({ CORS_ORIGINS: 'https://app.example' });
    const preflight = await api()
      .options('/api/v1/links')
      .set({ Origin: 'https://app.example', 'Access-Control-Request-Method': 'POST' })
      .expect(204);
    expect(preflight.headers['access-control-allow-origin']).toBe('https://app.example');
    expect(preflight.headers['access-control-allow-headers']).toContain('X-Api-Key');
    const cross = { Origin: 'https://app.example', 'Sec-Fetch-Site': 'cross-site' };
    const keyed = await create({ url: 'https://a.example/' }, full).set(cross).expect(201);
    expect(keyed.headers['access-control-allow-origin']).toBe('https://app.example');
    const keyless = await create({ url: 'https://a.example/' }).set(cross).expect(403);
    expect(keyless.body.type).toBe('/api/v1/problems/cross-site');
    expect(t.countLinks()).toBe(1);
  });
});
