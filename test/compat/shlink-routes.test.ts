import request from 'supertest';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  BROWSER_UA,
  createApiKey,
  ORIGIN,
  REFUSED_TARGETS,
  revokeApiKey,
} from '../support/compat-clients.js';
import { buildTestApp, type TestApp } from '../support/test-app.js';

/**
 * Shlink's REST API as its clients call it: ShareX's Shlink.sxcu, the PowerToys Run plugin, the
 * GNOME Shell extension, the official JS SDK (shlink-web-client and Raycast use it).
 */

let t: TestApp;
let key: string;

beforeEach(async () => {
  t = buildTestApp({ BASE_URL: ORIGIN });
  key = await createApiKey(t);
});
afterEach(() => t?.db.close());

const ATOM_DATE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\+00:00$/;
const SHORT_CODE = /^[A-Za-z0-9_-]+$/;

/** Every field of Shlink's ShortUrl that its SDK types declare, with the type clients rely on. */
function expectShortUrl(
  body: Record<string, unknown>,
  longUrl: string,
  forwardQuery = true,
  crawlable = false,
) {
  const { meta, ...rest } = body as { meta: Record<string, unknown> } & Record<string, unknown>;
  expect(rest).toEqual({
    shortCode: expect.stringMatching(SHORT_CODE),
    shortUrl: `${ORIGIN}/${String(body.shortCode)}`,
    longUrl,
    dateCreated: expect.stringMatching(ATOM_DATE),
    domain: null,
    title: expect.toBeOneOf([null, expect.any(String)]),
    tags: expect.any(Array),
    visitsSummary: { total: expect.any(Number), nonBots: expect.any(Number), bots: 0 },
    visitsCount: expect.any(Number),
    crawlable,
    forwardQuery,
    hasRedirectRules: false,
  });
  expect(Object.keys(meta).sort()).toEqual(['maxVisits', 'validSince', 'validUntil']);
  expect(meta.validSince === null || ATOM_DATE.test(String(meta.validSince))).toBe(true);
  expect(meta.validUntil === null || ATOM_DATE.test(String(meta.validUntil))).toBe(true);
  expect(meta.maxVisits === null || Number.isInteger(meta.maxVisits)).toBe(true);
}

/** Shlink's problem documents: the SDK reads type, title, detail and status on every non-2xx. */
function expectProblem(res: request.Response, status: number, code: string) {
  expect(res.status).toBe(status);
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  const body = JSON.parse(res.text) as Record<string, unknown>;
  expect(body).toMatchObject({
    type: `https://shlink.io/api/error/${code}`,
    title: expect.any(String),
    detail: expect.any(String),
    status,
  });
  return body;
}

/** The SDK's request: always /rest/v3, X-Api-Key and JSON. */
function sdk(method: 'get' | 'post' | 'patch' | 'delete', path: string, apiKey = key) {
  return request(t.app)[method](`/rest/v3${path}`).set({
    'X-Api-Key': apiKey,
    'Content-Type': 'application/json',
    Accept: 'application/json',
  });
}

async function createLink(longUrl: string, extra: Record<string, unknown> = {}) {
  const res = await sdk('post', '/short-urls').send({ longUrl, ...extra });
  expect(res.status).toBe(200);
  return res.body as { shortCode: string; shortUrl: string };
}

describe('creating short URLs as the clients do', () => {
  it('when ShareX (Shlink.sxcu) posts {longUrl} to /rest/v2 with X-Api-Key, then it gets 200 JSON whose shortUrl redirects to the URL', async () => {
    const res = await request(t.app)
      .post('/rest/v2/short-urls')
      .set({ 'X-Api-Key': key, 'Content-Type': 'application/json', 'User-Agent': 'ShareX/16.0.0' })
      .send('{"longUrl":"https://long.example/sharex"}');

    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expectShortUrl(res.body, 'https://long.example/sharex');
    expect(res.body.shortCode).toBe(t.lastCode());
    expect(t.countLinks()).toBe(1);

    const follow = await request(t.app).get(new URL(res.body.shortUrl).pathname);
    expect(follow.status).toBe(302);
    expect(follow.headers.location).toBe('https://long.example/sharex');
  });

  it('when the PowerToys Run plugin posts {longUrl, customSlug: null} to /rest/v3, then it gets a 2xx with a shortUrl on a generated code', async () => {
    const res = await request(t.app)
      .post('/rest/v3/short-urls')
      .set({ 'X-Api-Key': key, 'Content-Type': 'application/json' })
      .send('{"longUrl":"https://long.example/powertoys","customSlug":null}');

    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expectShortUrl(res.body, 'https://long.example/powertoys');
    expect(res.body.shortUrl).toBe(`${ORIGIN}/${t.lastCode()}`);
  });

  it('when the GNOME Shell extension posts longUrl form-encoded with Accept: application/json, then the status is exactly 200 and the JSON has shortUrl', async () => {
    const res = await request(t.app)
      .post('/rest/v2/short-urls')
      .set({
        'X-Api-Key': key,
        Accept: 'application/json',
        'Content-Type': 'application/x-www-form-urlencoded',
      })
      .send(`longUrl=${encodeURIComponent('https://long.example/gnome?a=1&b=2')}`);

    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expectShortUrl(res.body, 'https://long.example/gnome?a=1&b=2');
    expect(t.countLinks()).toBe(1);
  });

  it('when the SDK creates with a custom slug, a visit limit and an end date, then the ShortUrl carries them in Shlink\u2019s shape', async () => {
    const res = await sdk('post', '/short-urls').send({
      longUrl: 'https://long.example/sdk',
      customSlug: 'my-slug',
      maxVisits: 5,
      validUntil: '2099-01-01T12:00:00+02:00',
    });

    expect(res.status).toBe(200);
    expectShortUrl(res.body, 'https://long.example/sdk');
    expect(res.body).toMatchObject({
      shortCode: 'my-slug',
      shortUrl: `${ORIGIN}/my-slug`,
      meta: { validSince: null, validUntil: '2099-01-01T10:00:00+00:00', maxVisits: 5 },
      visitsSummary: { total: 0, nonBots: 0, bots: 0 },
    });
  });

  it.each(['/rest/v1', '/rest/v2', '/rest/v3'])(
    'when the SDK\u2019s requests go to %s (ShareX and GNOME use v2, older clients v1), then creating, reading, listing and deleting answer alike',
    async (prefix) => {
      const headers = { 'X-Api-Key': key };
      const created = await request(t.app)
        .post(`${prefix}/short-urls`)
        .set(headers)
        .send({ longUrl: 'https://long.example/versions' });
      expect(created.status).toBe(200);
      expectShortUrl(created.body, 'https://long.example/versions');
      const code = created.body.shortCode as string;

      const read = await request(t.app).get(`${prefix}/short-urls/${code}`).set(headers);
      expect(read.status).toBe(200);
      expectShortUrl(read.body, 'https://long.example/versions');

      const list = await request(t.app).get(`${prefix}/short-urls`).set(headers);
      expect(list.status).toBe(200);
      expect(list.body.shortUrls.data.map((s: { shortCode: string }) => s.shortCode)).toEqual([
        code,
      ]);

      const deleted = await request(t.app).delete(`${prefix}/short-urls/${code}`).set(headers);
      expect(deleted.status).toBe(204);
    },
  );

  it('when the SDK sends findIfExists with only longUrl and a link to it exists, then the newest one is answered and nothing is stored', async () => {
    await createLink('https://long.example/again');
    const newest = await createLink('https://long.example/again');
    expect(t.countLinks()).toBe(2);

    const res = await sdk('post', '/short-urls').send({
      longUrl: 'https://long.example/again',
      findIfExists: true,
    });

    expect(res.status).toBe(200);
    expectShortUrl(res.body, 'https://long.example/again');
    expect(res.body.shortCode).toBe(newest.shortCode);
    expect(t.countLinks()).toBe(2);
  });

  it('when findIfExists names a customSlug, then only that link of the same key is answered; another key’s slug stays taken', async () => {
    const mine = await createLink('https://long.example/slug', { customSlug: 'mine' });
    const again = await sdk('post', '/short-urls').send({
      longUrl: 'https://long.example/slug',
      customSlug: 'mine',
      findIfExists: true,
    });
    expect(again.status).toBe(200);
    expect(again.body.shortCode).toBe(mine.shortCode);

    const other = await createApiKey(t, 'full', 'other');
    const theirs = await sdk('post', '/short-urls', other).send({
      longUrl: 'https://long.example/slug',
      customSlug: 'mine',
      findIfExists: true,
    });
    expectProblem(theirs, 400, 'non-unique-slug');
    expect(t.countLinks()).toBe(1);
  });

  it('when the SDK sends findIfExists and no link to the URL exists, then one is created', async () => {
    const res = await sdk('post', '/short-urls').send({
      longUrl: 'https://long.example/first',
      findIfExists: true,
    });

    expect(res.status).toBe(200);
    expectShortUrl(res.body, 'https://long.example/first');
    expect(t.countLinks()).toBe(1);
  });

  it('when ShareX (Shlink.sxcu) posts the same URL twice, then two short URLs are made', async () => {
    const first = await createLink('https://long.example/twice');
    const second = await createLink('https://long.example/twice');
    expect(second.shortCode).not.toBe(first.shortCode);
    expect(t.countLinks()).toBe(2);
  });
});

describe('Raycast Shlink', () => {
  it('when its shorten form loads, then /domains has a default domain and /tags an empty list', async () => {
    const domains = await sdk('get', '/domains');
    expect(domains.status).toBe(200);
    expect(domains.headers['content-type']).toMatch(/^application\/json/);
    expect(domains.body.domains.data).toEqual([
      {
        domain: 's.example',
        isDefault: true,
        redirects: {
          baseUrlRedirect: null,
          regular404Redirect: null,
          invalidShortUrlRedirect: null,
        },
      },
    ]);
    expect(domains.body.domains.data.find((d: { isDefault: boolean }) => d.isDefault)).toBeTruthy();

    const tags = await sdk('get', '/tags');
    expect(tags.status).toBe(200);
    expect(tags.headers['content-type']).toMatch(/^application\/json/);
    expect(tags.body.tags.data).toEqual([]);
  });

  it('when it posts its whole form, then snip creates the link and answers tags, title and domain as it stores them', async () => {
    const res = await sdk('post', '/short-urls').send({
      longUrl: 'https://long.example/raycast',
      title: 'A page',
      tags: ['work', 'later'],
      domain: 's.example',
      customSlug: 'raycast-slug',
      shortCodeLength: 8,
      maxVisits: 3,
      validSince: '2020-01-01T00:00:00+01:00',
      validUntil: '2099-06-30T23:59:00+02:00',
      crawlable: true,
      forwardQuery: true,
    });

    expect(res.status).toBe(200);
    expectShortUrl(res.body, 'https://long.example/raycast', true, true);
    expect(res.body).toMatchObject({
      shortCode: 'raycast-slug',
      tags: ['work', 'later'],
      title: 'A page',
      domain: null,
      meta: {
        validSince: '2019-12-31T23:00:00+00:00',
        validUntil: '2099-06-30T21:59:00+00:00',
        maxVisits: 3,
      },
    });
  });

  it('when it asks for a generated code of 8 characters, then the code has 8', async () => {
    const res = await sdk('post', '/short-urls').send({
      longUrl: 'https://long.example/length',
      shortCodeLength: 8,
      forwardQuery: true,
    });
    expect(res.status).toBe(200);
    expect(res.body.shortCode).toMatch(/^[A-Za-z0-9_-]{8}$/);
  });

  it('when it lists with page, itemsPerPage=20 and searchTerm, then it gets the matching links and Shlink\u2019s pagination', async () => {
    for (let i = 0; i < 3; i++) await createLink(`https://long.example/match/${i}`);
    await createLink('https://other.example/');

    const res = await sdk('get', '/short-urls?page=1&itemsPerPage=20&searchTerm=match');

    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    const { data, pagination } = res.body.shortUrls;
    expect(data).toHaveLength(3);
    for (const item of data) expectShortUrl(item, item.longUrl);
    expect(data.map((s: { longUrl: string }) => s.longUrl)).toEqual([
      'https://long.example/match/2',
      'https://long.example/match/1',
      'https://long.example/match/0',
    ]);
    expect(pagination).toEqual({
      currentPage: 1,
      pagesCount: 1,
      itemsPerPage: 20,
      itemsInCurrentPage: 3,
      totalItems: 3,
    });
  });
});

describe('reading, listing and deleting (shlink-web-client and the SDK)', () => {
  it('when the web client pages through links, then currentPage, pagesCount and totalItems let it page', async () => {
    for (let i = 0; i < 5; i++) await createLink(`https://long.example/page/${i}`);

    const second = await sdk('get', '/short-urls?page=2&itemsPerPage=2');

    expect(second.status).toBe(200);
    expect(second.body.shortUrls.pagination).toEqual({
      currentPage: 2,
      pagesCount: 3,
      itemsPerPage: 2,
      itemsInCurrentPage: 2,
      totalItems: 5,
    });
    expect(second.body.shortUrls.data.map((s: { longUrl: string }) => s.longUrl)).toEqual([
      'https://long.example/page/2',
      'https://long.example/page/1',
    ]);
  });

  it('when the SDK reads one short URL after a visit, then visitsSummary counts it', async () => {
    const { shortCode } = await createLink('https://long.example/visited');
    await request(t.app).get(`/${shortCode}`).set('User-Agent', BROWSER_UA).expect(302);

    const res = await sdk('get', `/short-urls/${shortCode}`);

    expect(res.status).toBe(200);
    expectShortUrl(res.body, 'https://long.example/visited');
    expect(res.body.visitsSummary).toEqual({ total: 1, nonBots: 1, bots: 0 });
  });

  it('when the SDK deletes a short URL, then it gets 204 with an empty body and the link is gone from reads, lists and redirects', async () => {
    const kept = await createLink('https://long.example/kept');
    const { shortCode } = await createLink('https://long.example/deleted');

    const res = await sdk('delete', `/short-urls/${shortCode}`);

    expect(res.status).toBe(204);
    expect(res.text).toBe('');
    expectProblem(await sdk('get', `/short-urls/${shortCode}`), 404, 'short-url-not-found');
    const list = await sdk('get', '/short-urls');
    expect(list.body.shortUrls.data.map((s: { shortCode: string }) => s.shortCode)).toEqual([
      kept.shortCode,
    ]);
    expect(list.body.shortUrls.pagination).toMatchObject({
      pagesCount: 1,
      itemsInCurrentPage: 1,
      totalItems: 1,
    });
    expect((await request(t.app).get(`/${shortCode}`)).status).toBe(410);
  });

  it('when shlink-web-client (in a browser on an origin CORS_ORIGINS lists) sends its preflight, then CORS allows X-Api-Key and JSON', async () => {
    t.db.close();
    t = buildTestApp({ BASE_URL: ORIGIN, CORS_ORIGINS: 'https://app.shlink.io' });
    key = await createApiKey(t);
    const preflight = await request(t.app).options('/rest/v3/short-urls').set({
      Origin: 'https://app.shlink.io',
      'Access-Control-Request-Method': 'POST',
      'Access-Control-Request-Headers': 'x-api-key,content-type',
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers['access-control-allow-origin']).toBe('https://app.shlink.io');
    expect(preflight.headers['access-control-allow-methods']).toMatch(/\bPOST\b/);
    expect(preflight.headers['access-control-allow-methods']).toMatch(/\bDELETE\b/);
    expect(preflight.headers['access-control-allow-headers']).toMatch(/X-Api-Key/i);
    expect(preflight.headers['access-control-allow-headers']).toMatch(/Content-Type/i);

    const list = await sdk('get', '/short-urls').set('Origin', 'https://app.shlink.io');
    expect(list.status).toBe(200);
    expect(list.headers['access-control-allow-origin']).toBe('https://app.shlink.io');
  });
});

describe('query forwarding (forwardQuery)', () => {
  it('when the SDK creates without forwardQuery, then it is on, as in Shlink, and a visit’s query is added', async () => {
    const { shortCode } = await createLink('https://long.example/fq?a=1');
    const read = await sdk('get', `/short-urls/${shortCode}`);
    expectShortUrl(read.body, 'https://long.example/fq?a=1', true);
    const hit = await request(t.app).get(`/${shortCode}?b=2`).expect(302);
    expect(hit.headers.location).toBe('https://long.example/fq?a=1&b=2');
  });

  it('when the SDK creates with forwardQuery false, then the answer says so and visits go to the plain URL', async () => {
    const res = await sdk('post', '/short-urls').send({
      longUrl: 'https://long.example/fq-off',
      forwardQuery: false,
    });
    expectShortUrl(res.body, 'https://long.example/fq-off', false);
    const hit = await request(t.app)
      .get(`/${String(res.body.shortCode)}?b=2`)
      .expect(302);
    expect(hit.headers.location).toBe('https://long.example/fq-off');
  });

  it('when the web client edits a short URL (PATCH), then the fields sent change, the others stay, and the answer is the ShortUrl', async () => {
    const { shortCode } = await createLink('https://long.example/edit', {
      maxVisits: 5,
      validUntil: '2099-01-01T00:00:00+00:00',
    });
    const off = await sdk('patch', `/short-urls/${shortCode}`).send({ forwardQuery: false });
    expect(off.status).toBe(200);
    expectShortUrl(off.body, 'https://long.example/edit', false);
    expect(off.body.meta).toEqual({
      validSince: null,
      validUntil: '2099-01-01T00:00:00+00:00',
      maxVisits: 5,
    });
    // null leaves forwardQuery as it is (Shlink's bool|null) and clears maxVisits and validUntil.
    const cleared = await sdk('patch', `/short-urls/${shortCode}`).send({
      forwardQuery: null,
      maxVisits: null,
      validUntil: null,
      longUrl: 'https://long.example/edited',
    });
    expectShortUrl(cleared.body, 'https://long.example/edited', false);
    expect(cleared.body.meta).toEqual({ validSince: null, validUntil: null, maxVisits: null });
    const on = await sdk('patch', `/short-urls/${shortCode}`).send({ forwardQuery: true });
    expectShortUrl(on.body, 'https://long.example/edited', true);
    const hit = await request(t.app).get(`/${shortCode}?c=3`).expect(302);
    expect(hit.headers.location).toBe('https://long.example/edited?c=3');
  });

  it.each([['yes'], [1], [[true]]])(
    'when forwardQuery is %j, then it is invalid-data naming it and nothing changes',
    async (forwardQuery) => {
      const { shortCode } = await createLink('https://long.example/bad-fq');
      const before = t.countLinks();
      const created = await sdk('post', '/short-urls').send({
        longUrl: 'https://long.example/bad-fq-2',
        forwardQuery,
      });
      expect(expectProblem(created, 400, 'invalid-data').invalidElements).toEqual(['forwardQuery']);
      expect(t.countLinks()).toBe(before);
      const edited = await sdk('patch', `/short-urls/${shortCode}`).send({ forwardQuery });
      expect(expectProblem(edited, 400, 'invalid-data').invalidElements).toEqual(['forwardQuery']);
      expect((await sdk('get', `/short-urls/${shortCode}`)).body.forwardQuery).toBe(true);
    },
  );

  it('when an unknown or deleted short URL is edited, then 404 short-url-not-found', async () => {
    const res = await sdk('patch', '/short-urls/nope-nope').send({ forwardQuery: false });
    expectProblem(res, 404, 'short-url-not-found');
  });
});

describe('health', () => {
  it.each(['/rest/v3/health', '/rest/health'])(
    'when the SDK (or an older client) checks %s, then it gets 200 application/health+json with status and version',
    async (path) => {
      const res = await request(t.app).get(path);

      expect(res.status).toBe(200);
      expect(res.headers['content-type']).toMatch(/^application\/health\+json/);
      const body = JSON.parse(res.text) as Record<string, unknown>;
      expect(body).toMatchObject({ status: 'pass', version: expect.any(String) });
      expect(String(body.version)).toMatch(/^\d+\.\d+\.\d+/);
    },
  );
});

describe('errors the clients handle', () => {
  it('when the SDK posts without longUrl, then it is invalid-data (400) naming longUrl', async () => {
    const res = await sdk('post', '/short-urls').send({ customSlug: 'no-url' });
    const body = expectProblem(res, 400, 'invalid-data');
    expect(body.invalidElements).toEqual(['longUrl']);
    expect(t.countLinks()).toBe(0);
  });

  it('when the SDK posts a custom slug that is taken, then it is non-unique-slug (400) naming the slug', async () => {
    await createLink('https://long.example/one', { customSlug: 'taken' });

    const res = await sdk('post', '/short-urls').send({
      longUrl: 'https://long.example/two',
      customSlug: 'taken',
    });

    const body = expectProblem(res, 400, 'non-unique-slug');
    expect(body.customSlug).toBe('taken');
    expect(t.countLinks()).toBe(1);
  });

  it.each(['get', 'delete'] as const)(
    'when the SDK sends %s for an unknown short code, then it is short-url-not-found (404) naming the code',
    async (method) => {
      const res = await sdk(method, '/short-urls/nope123');
      const body = expectProblem(res, 404, 'short-url-not-found');
      expect(body.shortCode).toBe('nope123');
    },
  );

  it('when the SDK lists without X-Api-Key, then it is missing-authentication (401) with expectedHeaders', async () => {
    const res = await request(t.app).get('/rest/v3/short-urls');
    const body = expectProblem(res, 401, 'missing-authentication');
    expect(body.expectedHeaders).toEqual(['X-Api-Key']);
  });

  it('when the SDK sends a wrong key, then it is invalid-api-key (401) and nothing is stored', async () => {
    const res = await sdk('post', '/short-urls', 'snip_not-a-real-key').send({
      longUrl: 'https://long.example/wrong-key',
    });
    expectProblem(res, 401, 'invalid-api-key');
    expect(t.countLinks()).toBe(0);
  });

  it('when a client with the SDK\u2019s headers sends a body that is not JSON, then it is malformed-request-body (400)', async () => {
    const res = await sdk('post', '/short-urls').send('{"longUrl": "https://long.example/');
    expectProblem(res, 400, 'malformed-request-body');
    expect(t.countLinks()).toBe(0);
  });

  it('when Raycast sends validSince in the future, then the link is made and answers 404 until then', async () => {
    const res = await sdk('post', '/short-urls').send({
      longUrl: 'https://long.example/later',
      validSince: '2099-01-01T00:00:00+00:00',
    });
    expect(res.status).toBe(200);
    expect(res.body.meta.validSince).toBe('2099-01-01T00:00:00+00:00');
    await request(t.app)
      .get(`/${String(res.body.shortCode)}`)
      .expect(404);
  });

  it('when Raycast sends validSince after validUntil, then it is invalid-data naming validSince and nothing is stored', async () => {
    const res = await sdk('post', '/short-urls').send({
      longUrl: 'https://long.example/later',
      validSince: '2099-02-01T00:00:00+00:00',
      validUntil: '2099-01-01T00:00:00+00:00',
    });
    const body = expectProblem(res, 400, 'invalid-data');
    expect(body.invalidElements).toEqual(['validSince']);
    expect(t.countLinks()).toBe(0);
  });

  it('when Raycast sends a validUntil that has passed, then it is invalid-data naming validUntil', async () => {
    const res = await sdk('post', '/short-urls').send({
      longUrl: 'https://long.example/past',
      validUntil: '2001-01-01T00:00:00+00:00',
    });
    const body = expectProblem(res, 400, 'invalid-data');
    expect(body.invalidElements).toEqual(['validUntil']);
    expect(t.countLinks()).toBe(0);
  });

  it.each(REFUSED_TARGETS)(
    'when the SDK posts %s, then it is invalid-data naming longUrl and nothing is stored',
    async (_what, longUrl) => {
      const res = await sdk('post', '/short-urls').send({ longUrl });
      const body = expectProblem(res, 400, 'invalid-data');
      expect(body.invalidElements).toEqual(['longUrl']);
      expect(t.countLinks()).toBe(0);
    },
  );
});

describe('keys and access', () => {
  it('when the SDK holds a create-only key, then it creates; when it lists, reads or deletes, then it is forbidden-operation (403)', async () => {
    const createOnly = await createApiKey(t, 'create-only');
    const created = await sdk('post', '/short-urls', createOnly).send({
      longUrl: 'https://long.example/create-only',
    });
    expect(created.status).toBe(200);
    const code = created.body.shortCode as string;

    expectProblem(await sdk('get', '/short-urls', createOnly), 403, 'forbidden-operation');
    expectProblem(await sdk('get', `/short-urls/${code}`, createOnly), 403, 'forbidden-operation');
    expectProblem(
      await sdk('delete', `/short-urls/${code}`, createOnly),
      403,
      'forbidden-operation',
    );
    expect((await sdk('get', `/short-urls/${code}`)).status).toBe(200);
  });

  it('when Raycast holds a create-only key, then its form can still load the domains and tags it needs to shorten', async () => {
    const createOnly = await createApiKey(t, 'create-only');
    const domains = await sdk('get', '/domains', createOnly);
    expect(domains.status).toBe(200);
    expect(domains.body.domains.data[0]).toMatchObject({ domain: 's.example', isDefault: true });
    const tags = await sdk('get', '/tags', createOnly);
    expect(tags.status).toBe(200);
    expect(tags.body.tags.data).toEqual([]);
  });

  it('when Raycast sends no key to /domains or /tags, then it is missing-authentication', async () => {
    expectProblem(await request(t.app).get('/rest/v3/domains'), 401, 'missing-authentication');
    expectProblem(await request(t.app).get('/rest/v3/tags'), 401, 'missing-authentication');
  });

  it('when the SDK sends a revoked key, then it is refused like a wrong one', async () => {
    const revoked = await createApiKey(t, 'full', 'old-laptop');
    await revokeApiKey(t, 'old-laptop');
    const res = await sdk('post', '/short-urls', revoked).send({
      longUrl: 'https://long.example/revoked',
    });
    expectProblem(res, 401, 'invalid-api-key');
    expect(t.countLinks()).toBe(0);
  });

  it('when ShareX (Shlink.sxcu) posts without a key while creation is private, then it is missing-authentication and nothing is stored; with the key it works', async () => {
    t.db.close();
    t = buildTestApp({ BASE_URL: ORIGIN, CREATE_ACCESS: 'private' });
    key = await createApiKey(t);

    const anonymous = await request(t.app)
      .post('/rest/v2/short-urls')
      .send({ longUrl: 'https://long.example/private' });
    expectProblem(anonymous, 401, 'missing-authentication');
    expect(t.countLinks()).toBe(0);

    const withKey = await sdk('post', '/short-urls').send({
      longUrl: 'https://long.example/private',
    });
    expect(withKey.status).toBe(200);
  });

  it('when ShareX (Shlink.sxcu) posts without a key while creation is public, then the link is made', async () => {
    const res = await request(t.app)
      .post('/rest/v2/short-urls')
      .send({ longUrl: 'https://long.example/anonymous' });
    expect(res.status).toBe(200);
    expectShortUrl(res.body, 'https://long.example/anonymous');
  });

  it('when the SDK makes one request more than RATE_LIMIT_API allows, then it gets 429 with Retry-After and nothing more is stored', async () => {
    t.db.close();
    t = buildTestApp({ BASE_URL: ORIGIN, RATE_LIMITS: 'on', RATE_LIMIT_API: '3/min' });
    key = await createApiKey(t);

    for (let i = 0; i < 3; i++) await createLink(`https://long.example/limited/${i}`);
    const res = await sdk('post', '/short-urls').send({ longUrl: 'https://long.example/fourth' });

    expectProblem(res, 429, 'rate-limited');
    expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
    expect(t.countLinks()).toBe(3);
  });
});

describe('single-step creation (GET /short-urls/shorten)', () => {
  const shorten = (query: string) => request(t.app).get(`/rest/v3/short-urls/shorten?${query}`);

  it('when apiKey and longUrl are in the query, then it answers the ShortUrl as JSON, and with format=txt the short URL alone', async () => {
    const json = await shorten(
      `apiKey=${key}&longUrl=${encodeURIComponent('https://example.com/one')}`,
    ).expect(200);
    expect(json.headers['content-type']).toMatch(/^application\/json/);
    expectShortUrl(json.body, 'https://example.com/one');
    const txt = await shorten(
      `apiKey=${key}&longUrl=${encodeURIComponent('https://example.com/two')}&format=txt`,
    ).expect(200);
    expect(txt.headers['content-type']).toMatch(/^text\/plain/);
    expect(txt.text).toMatch(new RegExp(`^${ORIGIN}/[A-Za-z0-9_-]+$`));
    const code = txt.text.slice(ORIGIN.length + 1);
    const read = await sdk('get', `/short-urls/${code}`).expect(200);
    expect(read.body.longUrl).toBe('https://example.com/two');
    // Accept: text/plain asks for the same.
    const accepted = await shorten(
      `apiKey=${key}&longUrl=${encodeURIComponent('https://example.com/three')}`,
    )
      .set('Accept', 'text/plain')
      .expect(200);
    expect(accepted.text.startsWith(`${ORIGIN}/`)).toBe(true);
    // format=json wins over the header.
    const asked = await shorten(
      `apiKey=${key}&longUrl=${encodeURIComponent('https://example.com/four')}&format=json`,
    ).set('Accept', 'text/plain');
    expect(asked.body.longUrl).toBe('https://example.com/four');
  });

  it('when apiKey is missing, wrong, or longUrl is missing, then Shlink’s problems and nothing is stored', async () => {
    const missing = await shorten(`longUrl=${encodeURIComponent('https://example.com/x')}`);
    expect(expectProblem(missing, 401, 'missing-authentication')).toMatchObject({
      detail: 'Expected authentication to be provided in "apiKey" query param',
      param: 'apiKey',
    });
    expectProblem(
      await shorten(`apiKey=nope&longUrl=${encodeURIComponent('https://example.com/x')}`),
      401,
      'invalid-api-key',
    );
    expect(expectProblem(await shorten(`apiKey=${key}`), 400, 'invalid-data')).toMatchObject({
      invalidElements: ['longUrl'],
    });
    expect((await sdk('get', '/short-urls').expect(200)).body.shortUrls.data).toEqual([]);
  });
});

describe('the list’s order and filters', () => {
  it('when orderBy names a field Shlink does not sort by, or a filter is not one, then invalid-data naming it', async () => {
    for (const [query, element] of [
      ['orderBy=colour-ASC', 'orderBy'],
      ['orderBy=title', 'orderBy'],
      ['startDate=yesterday', 'startDate'],
      ['endDate=2026-13-45', 'endDate'],
      ['excludeMaxVisitsReached=maybe', 'excludeMaxVisitsReached'],
      ['excludePastValidUntil=yes', 'excludePastValidUntil'],
    ]) {
      const res = await sdk('get', `/short-urls?${query}`);
      expect(expectProblem(res, 400, 'invalid-data')).toMatchObject({
        invalidElements: [element],
      });
    }
  });

  it('when the web client sorts by title, then short URLs without one come first going up', async () => {
    await createLink('https://example.com/1', { customSlug: 'sort-z', title: 'Zebra' });
    await createLink('https://example.com/2', { customSlug: 'sort-n' });
    await createLink('https://example.com/3', { customSlug: 'sort-a', title: 'aardvark' });
    const order = async (orderBy: string) =>
      (await sdk('get', `/short-urls?orderBy=${orderBy}`).expect(200)).body.shortUrls.data.map(
        (s: { shortCode: string }) => s.shortCode,
      );
    // Byte order, as SQLite and PostgreSQL both sort here: capitals before small letters.
    expect(await order('title-ASC')).toEqual(['sort-n', 'sort-z', 'sort-a']);
    expect(await order('shortCode-DESC')).toEqual(['sort-z', 'sort-n', 'sort-a']);
    expect(await order('longUrl-DESC')).toEqual(['sort-a', 'sort-n', 'sort-z']);
  });
});

describe('the creation form’s strings (shlink-web-client)', () => {
  it('when shortCodeLength or maxVisits come as strings of digits, then they are read as numbers; other strings are invalid-data', async () => {
    const res = await sdk('post', '/short-urls')
      .send({ longUrl: 'https://example.com/form', shortCodeLength: '11', maxVisits: '3' })
      .expect(200);
    expect(res.body.shortCode).toHaveLength(11);
    expect(res.body.meta.maxVisits).toBe(3);
    for (const [field, value] of [
      ['shortCodeLength', 'eleven'],
      ['shortCodeLength', '3'],
      ['maxVisits', '-1'],
      ['maxVisits', '1.5'],
    ] as const) {
      const bad = await sdk('post', '/short-urls').send({
        longUrl: 'https://example.com/bad',
        [field]: value,
      });
      expect(expectProblem(bad, 400, 'invalid-data')).toMatchObject({ invalidElements: [field] });
    }
  });
});

describe('tags renamed and deleted (PUT and DELETE /tags)', () => {
  it('when the web client renames a tag, then every short URL carries the new name; bad bodies are invalid-data', async () => {
    const link = await createLink('https://example.com/t', { tags: ['old', 'keep'] });
    await sdk('post', '/short-urls').send({ longUrl: 'https://example.com/u', tags: ['keep'] });
    const put = (body: unknown) =>
      request(t.app)
        .put('/rest/v3/tags')
        .set('X-Api-Key', key)
        .send(body as object);
    const renamed = await put({ oldName: 'OLD', newName: 'New' }).expect(204);
    expect(renamed.text).toBe('');
    expect((await sdk('get', `/short-urls/${link.shortCode}`)).body.tags).toEqual(['New', 'keep']);
    expect(expectProblem(await put({ oldName: 'New' }), 400, 'invalid-data')).toMatchObject({
      invalidElements: ['oldName', 'newName'],
    });
    expect(
      expectProblem(await put({ oldName: 'New', newName: 'KEEP' }), 409, 'tag-conflict'),
    ).toMatchObject({ oldName: 'New', newName: 'KEEP' });
    expect(
      expectProblem(await put({ oldName: 'gone', newName: 'x' }), 404, 'tag-not-found'),
    ).toMatchObject({ tag: 'gone' });
    expectProblem(await put({ oldName: 'New', newName: 'a,b' }), 400, 'invalid-data');
    expect((await sdk('get', '/tags').expect(200)).body.tags.data).toEqual(['keep', 'New']);
  });

  it('when the web client deletes tags, then 204 and no short URL carries them; a create-only key is refused', async () => {
    const link = await createLink('https://example.com/d', { tags: ['a', 'b', 'c'] });
    const res = await request(t.app)
      .delete('/rest/v3/tags?tags[]=A&tags[]=c')
      .set('X-Api-Key', key)
      .expect(204);
    expect(res.text).toBe('');
    expect((await sdk('get', `/short-urls/${link.shortCode}`)).body.tags).toEqual(['b']);
    const createOnly = await createApiKey(t, 'create-only');
    expectProblem(
      await request(t.app).delete('/rest/v3/tags?tags[]=b').set('X-Api-Key', createOnly),
      403,
      'forbidden-operation',
    );
    expectProblem(
      await request(t.app)
        .put('/rest/v3/tags')
        .set('X-Api-Key', createOnly)
        .send({ oldName: 'b', newName: 'x' }),
      403,
      'forbidden-operation',
    );
    expect((await sdk('get', `/short-urls/${link.shortCode}`)).body.tags).toEqual(['b']);
  });
});
