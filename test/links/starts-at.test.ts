import request from 'supertest';
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_DOMAIN_KEY } from '../../src/links/link.js';
import {
  createRedirectCache,
  linkKey,
  type RedirectCache,
} from '../../src/links/redirect-cache.js';
import { createApiKey } from '../support/compat-clients.js';
import {
  buildTestApp,
  MANAGE_LOCATION,
  SAME_ORIGIN,
  signInAdmin,
  type TestApp,
} from '../support/test-app.js';

/**
 * A link's start time ("not before", Shlink's validSince) in every door, on SQLite, with the
 * clock in the test's hands: before the instant the link is scheduled and answers 404, from the
 * instant on it redirects, cached or not (ADR 037).
 */

const PASSWORD = 'correct horse battery staple';
const ORIGIN = 'https://s.example';
/** "Now" of every test: 2026-12-07 12:00 UTC. */
const NOW = Date.UTC(2026, 11, 7, 12);
/** The start most tests set: 2027-01-01 09:00 UTC. */
const START = Date.UTC(2027, 0, 1, 9);
const BROWSER =
  'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/142.0.0.0 Safari/537.36';

let t: TestApp;
let clock: number;
let cache: RedirectCache;
afterEach(() => t?.db.close());

function setup() {
  clock = NOW;
  cache = createRedirectCache(100);
  t = buildTestApp(
    { ADMIN_PASSWORD: PASSWORD, BASE_URL: ORIGIN },
    { now: () => clock, redirectCache: cache },
  );
}

function shorten(fields: Record<string, string>) {
  return request(t.app)
    .post('/shorten')
    .set(SAME_ORIGIN)
    .type('form')
    .send({ url: 'https://a.example/launch', alias: 'launch', ...fields });
}

/** Creates `launch` through the home page's form; its management path. */
async function created(fields: Record<string, string> = {}): Promise<string> {
  const res = await shorten(fields);
  expect(res.status).toBe(303);
  expect(res.headers.location).toMatch(MANAGE_LOCATION);
  return res.headers.location!.replace('?created=1', '');
}

const follow = (code = 'launch') => request(t.app).get(`/${code}`).set('User-Agent', BROWSER);

function startOf(code = 'launch'): number | null {
  return (
    t.db
      .prepare<[string], { startsAt: number | null }>(
        'SELECT starts_at AS startsAt FROM urls WHERE code = ?',
      )
      .get(code)?.startsAt ?? null
  );
}

describe('the redirect of a link with a start time', () => {
  it('when it is visited before, at and after its start, then it answers 404 until the very instant and redirects from it', async () => {
    setup();
    await created({ starts_at: '2027-01-01T09:00' });
    expect(startOf()).toBe(START);

    const before = await follow().expect(404);
    expect(before.text).toContain('This link is not active yet');
    expect(before.headers['cache-control']).toBe('no-store');
    // Its preview says nothing more before the start.
    await request(t.app).get('/launch+').expect(404);

    clock = START - 1;
    await follow().expect(404);
    clock = START;
    await follow().expect(302).expect('Location', 'https://a.example/launch');
    clock = START + 60_000;
    await follow().expect(302);
    await request(t.app).get('/launch+').expect(200);
  });

  it('when the link is cached before its start, then it redirects at the instant without any change or a cache turnover', async () => {
    setup();
    await created({ starts_at: '2027-01-01T09:00' });
    // Twice: on SQLite a row is kept in the cache from its link's second visit (ADR 044).
    await follow().expect(404);
    await follow().expect(404);
    const key = linkKey(DEFAULT_DOMAIN_KEY, 'launch');
    const row = cache.get(key);
    expect(row?.startsAt).toBe(START);
    // The row is changed behind the cache's back: what answers now is the cached row.
    t.db.exec("UPDATE urls SET target = 'https://changed.example/' WHERE code = 'launch'");
    clock = START - 1;
    await follow().expect(404);
    clock = START;
    await follow().expect(302).expect('Location', 'https://a.example/launch');
    expect(cache.get(key)).toBe(row);
  });

  it('when a start time is added to a cached active link, then it stops redirecting until then', async () => {
    setup();
    const manage = await created();
    await follow().expect(302);
    await request(t.app)
      .post(manage)
      .set(SAME_ORIGIN)
      .type('form')
      .send({ url: 'https://a.example/launch', starts_at: '2027-01-01T09:00' })
      .expect(303);
    await follow().expect(404);
    clock = START;
    await follow().expect(302);
  });

  it('when the start has passed, then the link is simply active', async () => {
    setup();
    await created({ starts_at: '2026-01-01' });
    expect(startOf()).toBe(Date.UTC(2026, 0, 1));
    await follow().expect(302);
  });
});

describe('the forms', () => {
  it('when the home page shows its options, then the start field is a UTC date and time', async () => {
    setup();
    const home = await request(t.app).get('/').expect(200);
    expect(home.text).toMatch(/<input id="starts_at" name="starts_at" type="datetime-local"/);
  });

  it('when the management page shows a scheduled link, then it says so and fills the field to edit it; cleared, the link works at once', async () => {
    setup();
    const manage = await created({ starts_at: '2027-01-01T09:00:30Z', expires_on: '2027-02-01' });
    const page = await request(t.app).get(manage).expect(200);
    expect(page.text).toContain('Scheduled — it starts working at Jan 1, 2027, 09:00 UTC');
    expect(page.text).toContain('value="2027-01-01T09:00:30.000"');

    await request(t.app)
      .post(manage)
      .set(SAME_ORIGIN)
      .type('form')
      .send({ url: 'https://a.example/launch', expires_on: '2027-02-01', starts_at: '' })
      .expect(303);
    expect(startOf()).toBeNull();
    await follow().expect(302);
  });

  it.each([
    ['words', 'next monday', /Enter a date and time \(UTC\)/],
    ['a day that does not exist', '2027-02-30T09:00', /Enter a date and time \(UTC\)/],
    ['a time that does not exist', '2027-01-01T25:00', /Enter a date and time \(UTC\)/],
    ['a year after 9999', '10000-01-01T00:00', /Enter a date and time \(UTC\)/],
    ['a time before 1970', '1969-12-31T23:59', /Enter a date and time \(UTC\)/],
    ['a start after the expiry', '2027-03-01T00:00', /The start must be before the expiry\./],
    ['a start at the expiry', '2027-02-02T00:00', /The start must be before the expiry\./],
  ])(
    'when the home page sends %s, then it is a 422 on the field and nothing is stored',
    async (_, value, message) => {
      setup();
      const res = await shorten({ starts_at: value, expires_on: '2027-02-01' });
      expect(res.status).toBe(422);
      expect(res.text).toMatch(message);
      expect(res.text).toMatch(/id="starts_at"[^>]*\n?[^>]*aria-invalid="true"/);
      expect(t.countLinks()).toBe(0);
    },
  );

  it('when the management page sends a start after the expiry, then it is a 422 and the link is unchanged', async () => {
    setup();
    const manage = await created({ expires_on: '2027-02-01' });
    const res = await request(t.app)
      .post(manage)
      .set(SAME_ORIGIN)
      .type('form')
      .send({ url: 'https://a.example/other', expires_on: '2027-02-01', starts_at: '2027-03-01' });
    expect(res.status).toBe(422);
    expect(res.text).toContain('The start must be before the expiry.');
    expect(startOf()).toBeNull();
    await follow().expect(302).expect('Location', 'https://a.example/launch');
  });

  it('when the admin makes and edits a scheduled link, then its page, the list and its filter show it', async () => {
    setup();
    const cookie = await signInAdmin(t.app, PASSWORD);
    const admin = (path: string, form: Record<string, string>) =>
      request(t.app)
        .post(path)
        .set({ ...SAME_ORIGIN, Cookie: cookie })
        .type('form')
        .send(form);
    await admin('/admin/links', {
      url: 'https://a.example/admin',
      alias: 'adm',
      starts_at: '2027-01-01T09:00',
    }).expect(303);
    expect(startOf('adm')).toBe(START);
    const page = await request(t.app).get('/admin/links/adm').set('Cookie', cookie).expect(200);
    expect(page.text).toContain('Scheduled — starts at Jan 1, 2027, 09:00 UTC');
    expect(page.text).toContain('value="2027-01-01T09:00"');
    const list = await request(t.app)
      .get('/admin?state=scheduled')
      .set('Cookie', cookie)
      .expect(200);
    expect(list.text).toContain('<span class="badge">scheduled</span>');
    expect(list.text).toContain('/adm');

    const refused = await admin('/admin/links/adm/edit', {
      url: 'https://a.example/admin',
      expires_on: '2026-12-31',
      starts_at: '2027-01-01T09:00',
    });
    expect(refused.status).toBe(422);
    expect(refused.text).toContain('The start must be before the expiry.');
    await admin('/admin/links/adm/edit', {
      url: 'https://a.example/admin',
      starts_at: '2026-12-08T00:00',
    }).expect(303);
    expect(startOf('adm')).toBe(Date.UTC(2026, 11, 8));
    await follow('adm').expect(404);
    clock = Date.UTC(2026, 11, 8);
    await follow('adm').expect(302);
  });
});

describe('banning a link with the others to its host', () => {
  it('when the admin bans a link and disables the others to its host, then a scheduled one is disabled and never starts', async () => {
    setup();
    await created({ starts_at: '2027-01-01T09:00' });
    await shorten({ alias: 'bad', url: 'https://a.example/phish' }).expect(303);
    const cookie = await signInAdmin(t.app, PASSWORD);
    await request(t.app)
      .post('/admin/links/bad/ban')
      .set({ ...SAME_ORIGIN, Cookie: cookie })
      .type('form')
      .send({ reason: 'phishing', disable_others: 'on' })
      .expect(303);
    clock = START;
    const gone = await follow().expect(410);
    expect(gone.text).toContain('This link is disabled');
  });
});

describe('/api/v1', () => {
  async function api() {
    const key = await createApiKey(t);
    const auth = { Authorization: `Bearer ${key}` };
    return {
      post: (body: object) => request(t.app).post('/api/v1/links').set(auth).send(body),
      patch: (code: string, body: object) =>
        request(t.app).patch(`/api/v1/links/${code}`).set(auth).send(body),
      get: (path: string) => request(t.app).get(`/api/v1${path}`).set(auth),
    };
  }

  it('when a link is made with startsAt, then it answers it, lists as scheduled, and a PATCH moves or clears it', async () => {
    setup();
    const { post, patch, get } = await api();
    const res = await post({
      url: 'https://a.example/api',
      alias: 'apilink',
      startsAt: '2027-01-01T10:00:00+01:00',
    });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ startsAt: '2027-01-01T09:00:00.000Z', state: 'scheduled' });
    const listed = await get('/links?state=scheduled').expect(200);
    expect(listed.body.data.map((link: { code: string }) => link.code)).toEqual(['apilink']);
    await follow('apilink').expect(404);

    const day = await patch('apilink', { startsAt: '2026-12-24' }).expect(200);
    expect(day.body.startsAt).toBe('2026-12-24T00:00:00.000Z');
    const cleared = await patch('apilink', { startsAt: null }).expect(200);
    expect(cleared.body).toMatchObject({ startsAt: null, state: 'active' });
    await follow('apilink').expect(302);
    // A past start is kept: the link is active.
    const past = await patch('apilink', { startsAt: '2020-01-01T00:00:00Z' }).expect(200);
    expect(past.body).toMatchObject({ startsAt: '2020-01-01T00:00:00.000Z', state: 'active' });
  });

  it.each([
    ['not a date', 'soon', 400, 'must be a date'],
    ['a date-time without a zone', '2027-01-01T09:00:00', 400, 'date-time with an offset'],
    ['a day that does not exist', '2027-02-30', 400, 'must be a date'],
    ['a number', 1767225600000, 400, 'must be a date'],
    ['a time before 1970', '1969-12-31T23:59:59Z', 422, 'must be from 1970'],
    [
      'a start after the expiry',
      '2027-03-01T00:00:00Z',
      422,
      'The start must be before the expiry.',
    ],
  ])(
    'when a creation sends startsAt as %s, then it is refused naming /startsAt and nothing is stored',
    async (_, startsAt, status, detail) => {
      setup();
      const { post } = await api();
      const res = await post({ url: 'https://a.example/x', expiresAt: '2027-02-01', startsAt });
      expect(res.status).toBe(status);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      const pointers = (res.body.errors as { pointer: string; detail: string }[]).filter(
        (error) => error.pointer === '/startsAt',
      );
      expect(pointers.map((error) => error.detail).join(' ')).toContain(detail);
      expect(t.countLinks()).toBe(0);
    },
  );

  it('when an update sets an expiry before the start, then it is a 422 naming /startsAt and nothing changes', async () => {
    setup();
    const { post, patch } = await api();
    await post({
      url: 'https://a.example/api',
      alias: 'apilink',
      startsAt: '2027-01-01T09:00:00Z',
    }).expect(201);
    const res = await patch('apilink', { expiresAt: '2026-12-31', url: 'https://a.example/new' });
    expect(res.status).toBe(422);
    expect(res.body.errors).toEqual([
      { pointer: '/startsAt', detail: 'The start must be before the expiry.' },
    ]);
    expect(startOf('apilink')).toBe(START);
    clock = START;
    await follow('apilink').expect(302).expect('Location', 'https://a.example/api');
  });

  it('when the OpenAPI document describes a link, then startsAt is in the creation, the update and the answer', async () => {
    setup();
    const doc = (await request(t.app).get('/api/v1/openapi.json').expect(200)).body;
    const schemas = doc.components.schemas;
    expect(schemas.CreateLink.properties.startsAt.description).toContain('validSince');
    expect(schemas.UpdateLink.properties.startsAt).toBeDefined();
    expect(schemas.Link.properties.startsAt).toBeDefined();
    expect(schemas.Link.properties.state.enum).toContain('scheduled');
  });
});

describe('the Shlink-compatible API', () => {
  async function shlink() {
    const key = await createApiKey(t);
    const headers = { 'X-Api-Key': key, 'Content-Type': 'application/json' };
    return {
      post: (body: object) => request(t.app).post('/rest/v3/short-urls').set(headers).send(body),
      patch: (code: string, body: object) =>
        request(t.app).patch(`/rest/v3/short-urls/${code}`).set(headers).send(body),
      get: (path: string) => request(t.app).get(`/rest/v3${path}`).set(headers),
    };
  }

  it('when validSince is in the future, then the link is made, answered with Shlink’s ATOM date, listed, and 404 until then', async () => {
    setup();
    const { post, get } = await shlink();
    const res = await post({
      longUrl: 'https://a.example/shlink',
      customSlug: 'shl',
      validSince: '2027-01-01T10:00:00+01:00',
      validUntil: '2027-02-01T00:00:00+00:00',
    });
    expect(res.status).toBe(200);
    expect(res.body.meta).toEqual({
      validSince: '2027-01-01T09:00:00+00:00',
      validUntil: '2027-02-01T00:00:00+00:00',
      maxVisits: null,
    });
    const one = await get('/short-urls/shl').expect(200);
    expect(one.body.meta.validSince).toBe('2027-01-01T09:00:00+00:00');
    const list = await get('/short-urls').expect(200);
    expect(list.body.shortUrls.data[0].meta.validSince).toBe('2027-01-01T09:00:00+00:00');
    await follow('shl').expect(404);
    clock = START;
    await follow('shl').expect(302);
  });

  it('when an edit sends validSince, then it moves; null clears it; other fields leave it', async () => {
    setup();
    const { post, patch } = await shlink();
    await post({ longUrl: 'https://a.example/shlink', customSlug: 'shl' }).expect(200);
    const moved = await patch('shl', { validSince: '2027-01-01T09:00:00Z' }).expect(200);
    expect(moved.body.meta.validSince).toBe('2027-01-01T09:00:00+00:00');
    await follow('shl').expect(404);
    const kept = await patch('shl', { title: 'Launch' }).expect(200);
    expect(kept.body.meta.validSince).toBe('2027-01-01T09:00:00+00:00');
    const cleared = await patch('shl', { validSince: null }).expect(200);
    expect(cleared.body.meta.validSince).toBeNull();
    await follow('shl').expect(302);
  });

  it.each([
    ['not a date', { validSince: 'tomorrow' }],
    ['before 1970', { validSince: '1960-01-01T00:00:00+00:00' }],
    [
      'after validUntil',
      { validSince: '2027-03-01T00:00:00+00:00', validUntil: '2027-02-01T00:00:00+00:00' },
    ],
  ])(
    'when a creation sends validSince %s, then it is invalid-data naming validSince and nothing is stored',
    async (_, fields) => {
      setup();
      const { post } = await shlink();
      const res = await post({ longUrl: 'https://a.example/bad', ...fields });
      expect(res.status).toBe(400);
      expect(res.body.type).toBe('https://shlink.io/api/error/invalid-data');
      expect(res.body.invalidElements).toEqual(['validSince']);
      expect(t.countLinks()).toBe(0);
    },
  );

  it('when an edit sets validUntil before the link’s validSince, then it is invalid-data and nothing changes', async () => {
    setup();
    const { post, patch } = await shlink();
    await post({
      longUrl: 'https://a.example/shlink',
      customSlug: 'shl',
      validSince: '2027-01-01T09:00:00Z',
    }).expect(200);
    const res = await patch('shl', { validUntil: '2026-12-31T00:00:00Z' });
    expect(res.status).toBe(400);
    expect(res.body.invalidElements).toEqual(['validSince']);
    expect(startOf('shl')).toBe(START);
  });
});

describe('the Kutt-compatible API, which has no start time of its own', () => {
  it('when an edit sets an expiry before the link’s start, then it is a 400 with the reason and nothing changes', async () => {
    setup();
    await created({ starts_at: '2027-01-01T09:00' });
    const key = await createApiKey(t);
    const res = await request(t.app)
      .patch('/api/v2/links/launch')
      .set('X-API-Key', key)
      .send({ target: 'https://a.example/changed', expire_in: '2 days' });
    expect(res.status).toBe(400);
    expect(res.body.error).toBe('The start must be before the expiry.');
    clock = START;
    await follow().expect(302).expect('Location', 'https://a.example/launch');
  });
});

describe('snip’s export and import', () => {
  async function exported(app: TestApp): Promise<string> {
    const cookie = await signInAdmin(app.app, PASSWORD);
    const res = await request(app.app).get('/admin/export.csv').set('Cookie', cookie).expect(200);
    return res.text;
  }

  async function imported(app: TestApp, csv: string) {
    const cookie = await signInAdmin(app.app, PASSWORD);
    return request(app.app)
      .post('/admin/import?format=snip')
      .set({ ...SAME_ORIGIN, Cookie: cookie, 'Content-Type': 'text/csv' })
      .send(csv);
  }

  it('when a scheduled link is exported and imported elsewhere, then it keeps its start and its state', async () => {
    setup();
    await created({ starts_at: '2027-01-01T09:00' });
    const csv = await exported(t);
    const [header, row] = csv.split('\r\n');
    const columns = header!.split(',');
    const cells = row!.split(',');
    expect(cells[columns.indexOf('starts_at')]).toBe('2027-01-01T09:00:00.000Z');
    expect(cells[columns.indexOf('state')]).toBe('scheduled');

    const first = t;
    setup();
    const res = await imported(t, csv);
    expect(res.status).toBe(200);
    first.db.close();
    expect(startOf()).toBe(START);
    await follow().expect(404);
    clock = START;
    await follow().expect(302);
  });

  it.each([
    ['a start that is no time', 'soon', 'is not a date and time'],
    ['a start after the expiry', '2027-03-01T00:00:00Z', 'The start must be before the expiry.'],
  ])('when a row has %s, then the row is refused and not imported', async (_, start, problem) => {
    setup();
    await created({ expires_on: '2027-02-01' });
    const csv = await exported(t);
    const [header, row] = csv.split('\r\n');
    const columns = header!.split(',');
    const cells = row!.split(',');
    cells[columns.indexOf('starts_at')] = start;
    const first = t;
    setup();
    first.db.close();
    const res = await imported(t, `${header}\r\n${cells.join(',')}\r\n`);
    expect(res.text).toContain(problem);
    expect(t.countLinks()).toBe(0);
  });
});
