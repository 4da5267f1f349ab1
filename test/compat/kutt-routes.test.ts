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
 * Kutt's API v2 as its clients call it: ShareX's Kutt shortener, the Kutt browser extension and
 * Raycast's Kutt extension.
 */

const NOW = Date.UTC(2030, 0, 15, 12, 0, 0);
const NOW_ISO = '2030-01-15T12:00:00.000Z';

let t: TestApp;
let key: string;

async function buildApp(env: Record<string, string> = {}) {
  t = buildTestApp({ BASE_URL: ORIGIN, ...env }, { now: () => NOW });
  key = await createApiKey(t);
}

beforeEach(() => buildApp());
afterEach(() => t?.db.close());

/** Every field of Kutt's link, with the types its clients read. */
function expectKuttLink(body: Record<string, unknown>, target: string) {
  expect(body).toEqual({
    id: expect.stringMatching(/^[A-Za-z0-9_-]+$/),
    address: body.id,
    description: null,
    banned: false,
    password: false,
    expire_in: body.expire_in === null ? null : expect.stringMatching(/^\d{4}-\d{2}-\d{2}T/),
    target,
    visit_count: expect.any(Number),
    created_at: NOW_ISO,
    updated_at: NOW_ISO,
    link: `${ORIGIN}/${String(body.id)}`,
    // Kutt's domain of a link: null for its default domain.
    domain: null,
  });
}

/** Kutt's errors: `{"error": "…"}` as JSON with the status. */
function expectKuttError(res: request.Response, status: number, error?: string) {
  expect(res.status).toBe(status);
  expect(res.headers['content-type']).toMatch(/^application\/json/);
  expect(res.body).toEqual({ error: error ?? expect.any(String) });
  expect(res.body.error.length).toBeGreaterThan(0);
}

/** How the browser extension and Raycast post: X-API-Key and a JSON object. */
function post(body: Record<string, unknown>, apiKey = key) {
  return request(t.app).post('/api/v2/links').set('X-API-Key', apiKey).send(body);
}

function get(path: string, apiKey = key) {
  return request(t.app).get(`/api/v2${path}`).set('X-API-Key', apiKey);
}

async function createLink(target: string, extra: Record<string, unknown> = {}) {
  const res = await post({ target, reuse: false, ...extra });
  expect(res.status).toBe(201);
  return res.body as { id: string; link: string };
}

describe("ShareX's Kutt shortener", () => {
  const SHAREX_BODY =
    '{"target":"https://long.example/x","password":null,"customurl":null,"reuse":false,"domain":null}';

  function shareX(apiKey = key) {
    return request(t.app)
      .post('/api/v2/links')
      .set({
        'X-API-KEY': apiKey,
        'Content-Type': 'application/json',
        'User-Agent': 'ShareX/16.0.0',
      })
      .send(SHAREX_BODY);
  }

  it('when ShareX posts its exact body, then it gets 201 JSON whose link (a string) redirects to the target', async () => {
    const res = await shareX();

    expect(res.status).toBe(201);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(typeof res.body.link).toBe('string');
    expectKuttLink(res.body, 'https://long.example/x');
    expect(res.body.link).toBe(`${ORIGIN}/${t.lastCode()}`);
    expect(t.countLinks()).toBe(1);

    const follow = await request(t.app).get(new URL(res.body.link).pathname);
    expect(follow.status).toBe(302);
    expect(follow.headers.location).toBe('https://long.example/x');
  });

  it('when ShareX posts the same URL again (reuse: false), then it gets a second link', async () => {
    const first = await shareX();
    const second = await shareX();
    expect(second.status).toBe(201);
    expect(second.body.link).not.toBe(first.body.link);
    expect(t.countLinks()).toBe(2);
  });

  it('when ShareX posts with a wrong key, then the status is not 2xx (401 Unauthorized.) and nothing is stored', async () => {
    const res = await shareX('snip_wrong');
    expectKuttError(res, 401, 'Unauthorized.');
    expect(t.countLinks()).toBe(0);
  });
});

describe('the Kutt browser extension', () => {
  it('when it posts {target, reuse} with X-API-Key (empty fields left out), then it reads link, id, address, target, visit_count and created_at', async () => {
    const res = await post({ target: 'https://long.example/extension', reuse: false });

    expect(res.status).toBe(201);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expectKuttLink(res.body, 'https://long.example/extension');
    expect(res.body).toMatchObject({
      link: expect.any(String),
      id: expect.any(String),
      address: expect.any(String),
      target: 'https://long.example/extension',
      visit_count: 0,
      created_at: NOW_ISO,
    });
  });

  it("when it sends a custom URL and snip's own domain, then the address is the custom URL", async () => {
    const res = await post({
      target: 'https://long.example/custom',
      reuse: false,
      customurl: 'my-link',
      domain: 's.example',
    });
    expect(res.status).toBe(201);
    expectKuttLink(res.body, 'https://long.example/custom');
    expect(res.body).toMatchObject({
      id: 'my-link',
      address: 'my-link',
      link: `${ORIGIN}/my-link`,
    });
  });

  it('when it asks to reuse and a link to the URL exists, then it gets 200 with that link and nothing is stored', async () => {
    const existing = await createLink('https://long.example/reuse');

    const res = await post({ target: 'https://long.example/reuse', reuse: true });

    expect(res.status).toBe(200);
    expectKuttLink(res.body, 'https://long.example/reuse');
    expect(res.body.id).toBe(existing.id);
    expect(t.countLinks()).toBe(1);
  });

  it('when it asks to reuse and no link to the URL exists, then one is created (201)', async () => {
    const res = await post({ target: 'https://long.example/new', reuse: true });
    expect(res.status).toBe(201);
    expectKuttLink(res.body, 'https://long.example/new');
    expect(t.countLinks()).toBe(1);
  });

  it('when it checks a key with GET /users, then a valid key gets 200 with a domains array', async () => {
    const res = await get('/users');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(Array.isArray(res.body.domains)).toBe(true);
    for (const domain of res.body.domains) expect(typeof domain.address).toBe('string');
  });

  it('when it checks a create-only key, then the key is valid too (it may create)', async () => {
    const res = await get('/users', await createApiKey(t, 'create-only'));
    expect(res.status).toBe(200);
    expect(res.body.domains).toEqual([]);
  });

  it('when it checks a wrong key or none, then it gets 401, which it shows as "Invalid API Key"', async () => {
    expectKuttError(await get('/users', 'snip_wrong'), 401, 'Unauthorized.');
    expectKuttError(await request(t.app).get('/api/v2/users'), 401, 'Unauthorized.');
  });

  it('when it loads its history with limit=15, then it gets limit, skip, total and data', async () => {
    for (let i = 0; i < 3; i++) await createLink(`https://long.example/history/${i}`);

    const res = await get('/links?limit=15');

    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.body).toMatchObject({ limit: 15, skip: 0, total: 3 });
    expect(res.body.data).toHaveLength(3);
    for (const item of res.body.data) expectKuttLink(item, item.target);
    expect(res.body.data.map((l: { target: string }) => l.target)).toEqual([
      'https://long.example/history/2',
      'https://long.example/history/1',
      'https://long.example/history/0',
    ]);
  });

  it('when it sends a custom URL that is taken, then it gets 400 with an error to show and nothing is stored', async () => {
    await createLink('https://long.example/a', { customurl: 'taken' });
    const res = await post({ target: 'https://long.example/b', reuse: false, customurl: 'taken' });
    expectKuttError(res, 400);
    expect(t.countLinks()).toBe(1);
  });

  it('when it sends no target, then it gets 400 "Target is missing."', async () => {
    expectKuttError(await post({ reuse: false }), 400, 'Target is missing.');
    expect(t.countLinks()).toBe(0);
  });

  it('when it sends a domain that is not snip\u2019s, then it gets 400 and nothing is stored', async () => {
    const res = await post({
      target: 'https://long.example/domain',
      reuse: false,
      domain: 'other.example',
    });
    expectKuttError(res, 400);
    expect(t.countLinks()).toBe(0);
  });
});

describe("Raycast's Kutt extension", () => {
  it('when it posts its form with empty strings, then the link is created with no password, expiry or description', async () => {
    const res = await post({
      target: 'https://long.example/raycast',
      customurl: '',
      password: '',
      expire_in: '',
      description: '',
    });

    expect(res.status).toBe(201);
    expectKuttLink(res.body, 'https://long.example/raycast');
    expect(res.body).toMatchObject({ password: false, expire_in: null, description: null });
    expect(t.countLinks()).toBe(1);
  });

  it('when it sends a password, then the link is protected by it and answered with password: true, as Kutt does', async () => {
    const res = await post({
      target: 'https://long.example/secret',
      customurl: 'secret',
      password: 'hunter2',
      expire_in: '',
      description: '',
    });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ id: 'secret', password: true });
    const page = await request(t.app).get('/secret').expect(401);
    expect(page.headers.location).toBeUndefined();
    expect(page.text).not.toContain('long.example');
    await request(t.app).get('/secret').auth('kutt', 'hunter2').expect(302);
  });

  it.each([
    ['a password over 1,024 bytes', 'é'.repeat(513)],
    ['a password with a control character', 'hunter\u00072'],
    ['a password that is not a string', 1234],
  ])(
    'when it sends %s, then it gets 400 with an error and nothing is stored',
    async (_name, password) => {
      const res = await post({ target: 'https://long.example/secret', password });
      expectKuttError(res, 400);
      expect(t.countLinks()).toBe(0);
    },
  );

  it.each([
    ['2 minutes', 2 * 60_000],
    ['1 day', 86_400_000],
    ['8h', 8 * 3_600_000],
    ['1 minute', 60_000],
  ])('when expire_in is "%s", then the link expires that long after now', async (text, ms) => {
    const res = await post({
      target: 'https://long.example/expiring',
      customurl: '',
      password: '',
      expire_in: text,
      description: '',
    });
    expect(res.status).toBe(201);
    expectKuttLink(res.body, 'https://long.example/expiring');
    expect(res.body.expire_in).toBe(new Date(NOW + ms).toISOString());
  });

  it.each(['30 seconds', 'soon', '-5 minutes'])(
    'when it sends expire_in "%s" (not a duration of at least a minute), then it gets 400 and nothing is stored',
    async (text) => {
      const res = await post({ target: 'https://long.example/bad-expiry', expire_in: text });
      expectKuttError(res, 400);
      expect(t.countLinks()).toBe(0);
    },
  );

  it('when it lists with limit=20 and skip, then it gets the next links and the same total', async () => {
    for (let i = 0; i < 25; i++) await createLink(`https://long.example/list/${i}`);

    const first = await get('/links?limit=20&skip=0');
    const second = await get('/links?limit=20&skip=20');

    expect(first.body).toMatchObject({ limit: 20, skip: 0, total: 25 });
    expect(first.body.data).toHaveLength(20);
    expect(second.body).toMatchObject({ limit: 20, skip: 20, total: 25 });
    expect(second.body.data.map((l: { target: string }) => l.target)).toEqual([
      'https://long.example/list/4',
      'https://long.example/list/3',
      'https://long.example/list/2',
      'https://long.example/list/1',
      'https://long.example/list/0',
    ]);
  });

  it('when it deletes a link by id, then it gets 200 with a message and the link is gone from the list, its total and the redirect', async () => {
    const kept = await createLink('https://long.example/kept');
    const gone = await createLink('https://long.example/gone');

    const res = await request(t.app).delete(`/api/v2/links/${gone.id}`).set('X-API-Key', key);

    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.body).toEqual({ message: expect.any(String) });
    const list = await get('/links?limit=20&skip=0');
    expect(list.body.total).toBe(1);
    expect(list.body.data.map((l: { id: string }) => l.id)).toEqual([kept.id]);
    expect((await request(t.app).get(`/${gone.id}`)).status).toBe(410);
  });

  it('when it deletes an unknown id, then it gets 404 with an error', async () => {
    const res = await request(t.app).delete('/api/v2/links/nope123').set('X-API-Key', key);
    expectKuttError(res, 404);
  });

  it('when it lists a link that was visited, then visit_count counts the visit', async () => {
    const { id } = await createLink('https://long.example/visited');
    await request(t.app).get(`/${id}`).set('User-Agent', BROWSER_UA).expect(302);
    const list = await get('/links?limit=20&skip=0');
    expect(list.body.data[0]).toMatchObject({ id, visit_count: 1 });
  });
});

describe('the Kutt client’s links.update (PATCH /api/v2/links/:id)', () => {
  function patch(id: string, body: Record<string, unknown>) {
    return request(t.app).patch(`/api/v2/links/${id}`).set('X-API-Key', key).send(body);
  }
  const opens = async (password: string) =>
    (await request(t.app).get('/guarded').auth('kutt', password)).status;

  it('when it sends a password, then it sets, changes, keeps (omitted or bullets) and removes (null or "") it, as Kutt’s edit does', async () => {
    await createLink('https://long.example/guarded', { customurl: 'guarded' });
    const set = await patch('guarded', { password: 'first one' });
    expect(set.status).toBe(200);
    expect(set.body).toMatchObject({ id: 'guarded', password: true });
    expect(await opens('first one')).toBe(302);
    await patch('guarded', { password: 'second one' }).expect(200);
    expect(await opens('first one')).toBe(401);
    expect(await opens('second one')).toBe(302);
    // What Kutt's form shows in place of a password, and a field left out, keep it.
    await patch('guarded', { password: '••••••••', description: 'kept' }).expect(200);
    await patch('guarded', { target: 'https://long.example/moved' }).expect(200);
    expect(await opens('second one')).toBe(302);
    const removed = await patch('guarded', { password: null });
    expect(removed.body).toMatchObject({ password: false });
    expect((await request(t.app).get('/guarded')).status).toBe(302);
    await patch('guarded', { password: 'third one' }).expect(200);
    expect((await patch('guarded', { password: '' })).body).toMatchObject({ password: false });
    // Removing a password the link does not have changes nothing.
    expectKuttError(await patch('guarded', { password: '' }), 400);
  });

  it.each([
    ['a password over 1,024 bytes', 'é'.repeat(513)],
    ['a password with a control character', 'hunter\u00072'],
    ['a password that is not a string', 1234],
  ])(
    'when it sends %s, then it gets 400 and neither the password nor the target changes',
    async (_name, password) => {
      await createLink('https://long.example/guarded', { customurl: 'guarded', password: 'kept' });
      const res = await patch('guarded', { target: 'https://long.example/changed', password });
      expectKuttError(res, 400);
      expect(await opens('kept')).toBe(302);
      expect((await t.services.links.findLink('guarded'))!.target).toBe(
        'https://long.example/guarded',
      );
    },
  );
});

describe('expiry and unknown links, in Kutt’s words', () => {
  it.each([
    ['30 seconds', 'Expire time should be more than 1 minute.'],
    ['0m', 'Expire format is invalid. Valid examples: 1m, 8h, 42 days.'],
    ['soon', 'Expire format is invalid. Valid examples: 1m, 8h, 42 days.'],
  ])(
    'when it sends expire_in "%s", then it gets 400 "%s" and nothing is stored',
    async (expireIn, error) => {
      expectKuttError(
        await post({ target: 'https://long.example/x', expire_in: expireIn }),
        400,
        error,
      );
      expect(t.countLinks()).toBe(0);
      await createLink('https://long.example/kept', { customurl: 'kept' });
      const res = await request(t.app)
        .patch('/api/v2/links/kept')
        .set('X-API-Key', key)
        .send({ expire_in: expireIn });
      expectKuttError(res, 400, error);
      expect((await t.services.links.findLink('kept'))!.expiresAt).toBeNull();
    },
  );

  it('when it edits an unknown id, then it gets 404 "Link was not found.", as Kutt’s edit says', async () => {
    const res = await request(t.app)
      .patch('/api/v2/links/nothing')
      .set('X-API-Key', key)
      .send({ target: 'https://long.example/x' });
    expectKuttError(res, 404, 'Link was not found.');
  });
});

describe('keys and access', () => {
  it('when ShareX creates with a create-only key, then it gets 201; when Raycast lists or deletes with it, then it gets 403 with an error', async () => {
    const createOnly = await createApiKey(t, 'create-only');
    const created = await post({ target: 'https://long.example/create-only' }, createOnly);
    expect(created.status).toBe(201);

    expectKuttError(await get('/links?limit=15', createOnly), 403);
    const deleted = await request(t.app)
      .delete(`/api/v2/links/${created.body.id}`)
      .set('X-API-Key', createOnly);
    expectKuttError(deleted, 403);
    expect((await request(t.app).get(`/${created.body.id}`)).status).toBe(302);
  });

  it('when the extension loads its history without a key, then it gets 401 Unauthorized.', async () => {
    expectKuttError(await request(t.app).get('/api/v2/links'), 401, 'Unauthorized.');
  });

  it('when the extension sends a revoked key, then it is refused like a wrong one', async () => {
    const revoked = await createApiKey(t, 'full', 'old-laptop');
    await revokeApiKey(t, 'old-laptop');
    expectKuttError(
      await post({ target: 'https://long.example/r' }, revoked),
      401,
      'Unauthorized.',
    );
    expect(t.countLinks()).toBe(0);
  });

  it('when an older Kutt client sends the key in the apikey body field, then it counts like the header', async () => {
    t.db.close();
    await buildApp({ CREATE_ACCESS: 'private' });
    const send = (apikey: string) =>
      request(t.app)
        .post('/api/v2/links')
        .send({ target: 'https://long.example/body-key', reuse: false, apikey });

    expect((await send(key)).status).toBe(201);
    expectKuttError(await send('snip_wrong'), 401, 'Unauthorized.');
    expect(t.countLinks()).toBe(1);
  });

  it('when ShareX posts without a key while creation is private, then it gets 401 Unauthorized. and nothing is stored; with the key it works', async () => {
    t.db.close();
    await buildApp({ CREATE_ACCESS: 'private' });

    const anonymous = await request(t.app)
      .post('/api/v2/links')
      .send({ target: 'https://long.example/private', reuse: false });
    expectKuttError(anonymous, 401, 'Unauthorized.');
    expect(t.countLinks()).toBe(0);

    expect((await post({ target: 'https://long.example/private' })).status).toBe(201);
  });

  it('when the extension makes one request more than RATE_LIMIT_API allows, then it gets 429 with Retry-After and nothing more is stored', async () => {
    t.db.close();
    await buildApp({ RATE_LIMITS: 'on', RATE_LIMIT_API: '3/min' });

    for (let i = 0; i < 3; i++) await createLink(`https://long.example/limited/${i}`);
    const res = await post({ target: 'https://long.example/fourth', reuse: false });

    expectKuttError(res, 429);
    expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
    expect(t.countLinks()).toBe(3);
  });

  it.each(REFUSED_TARGETS)(
    'when the extension posts %s as target, then it gets 400 with an error and nothing is stored',
    async (_what, target) => {
      const res = await post({ target, reuse: false });
      expectKuttError(res, 400);
      expect(t.countLinks()).toBe(0);
    },
  );
});
