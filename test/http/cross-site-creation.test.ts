import request from 'supertest';
import { afterEach, describe, expect, it } from 'vitest';
import { createApiKey } from '../support/compat-clients.js';
import { buildTestApp, type TestApp } from '../support/test-app.js';

/**
 * Creation without a key from another site's page: every door refuses it, whatever
 * CORS_ORIGINS lists, so that no web page can make links through its visitors' browsers. Keyed
 * callers, scripts (no Origin, no Sec-Fetch-Site) and snip's own pages keep working, and CORS
 * answers only the origins CORS_ORIGINS lists, and only for requests that carry a key.
 */

const OWN = 'https://s.example';
const LISTED = 'https://app.example';
let t: TestApp;
afterEach(() => t?.db.close());

function setup(env: Record<string, string> = {}) {
  t = buildTestApp({ BASE_URL: OWN, ...env });
  return t;
}

type Door = {
  name: string;
  send: (headers: Record<string, string>, key?: string) => request.Test;
  /** The door's own error shape for the refusal. */
  expectRefusal: (res: request.Response) => void;
};

const KEYLESS_REFUSAL = /without an API key/i;

const DOORS: Door[] = [
  {
    name: '/api/v1',
    send: (headers, key) =>
      request(t.app)
        .post('/api/v1/links')
        .set({ ...headers, ...(key ? { Authorization: `Bearer ${key}` } : {}) })
        .send({ url: 'https://a.example/api' }),
    expectRefusal: (res) => {
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(JSON.parse(res.text)).toMatchObject({
        type: '/api/v1/problems/cross-site',
        status: 403,
        detail: expect.stringMatching(KEYLESS_REFUSAL),
      });
    },
  },
  {
    name: 'Shlink /rest/v3 (JSON)',
    send: (headers, key) =>
      request(t.app)
        .post('/rest/v3/short-urls')
        .set({ ...headers, ...(key ? { 'X-Api-Key': key } : {}) })
        .send({ longUrl: 'https://a.example/shlink' }),
    expectRefusal: (res) => {
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(JSON.parse(res.text)).toMatchObject({
        type: 'https://shlink.io/api/error/forbidden-operation',
        status: 403,
        detail: expect.stringMatching(KEYLESS_REFUSAL),
      });
    },
  },
  {
    name: 'Shlink /rest/v2 (a form post)',
    send: (headers, key) =>
      request(t.app)
        .post('/rest/v2/short-urls')
        .set({ ...headers, ...(key ? { 'X-Api-Key': key } : {}) })
        .type('form')
        .send({ longUrl: 'https://a.example/shlink-form' }),
    expectRefusal: (res) => {
      expect(JSON.parse(res.text)).toMatchObject({
        type: 'https://shlink.io/api/error/forbidden-operation',
        status: 403,
      });
    },
  },
  {
    name: 'Kutt /api/v2',
    send: (headers, key) =>
      request(t.app)
        .post('/api/v2/links')
        .set({ ...headers, ...(key ? { 'X-API-KEY': key } : {}) })
        .send({ target: 'https://a.example/kutt' }),
    expectRefusal: (res) => {
      expect(res.headers['content-type']).toMatch(/^application\/json/);
      expect(res.body).toEqual({ error: expect.stringMatching(KEYLESS_REFUSAL) });
    },
  },
  {
    name: 'YOURLS GET',
    send: (headers, key) =>
      request(t.app)
        .get('/yourls-api.php')
        .set(headers)
        .query({
          action: 'shorturl',
          url: 'https://a.example/yourls',
          format: 'json',
          ...(key ? { signature: key } : {}),
        }),
    expectRefusal: (res) => {
      expect(res.body).toMatchObject({
        errorCode: '403',
        message: expect.stringMatching(KEYLESS_REFUSAL),
      });
    },
  },
  {
    name: 'YOURLS POST (a form post)',
    send: (headers, key) =>
      request(t.app)
        .post('/yourls-api.php')
        .set(headers)
        .type('form')
        .send({
          action: 'shorturl',
          url: 'https://a.example/yourls-form',
          format: 'json',
          ...(key ? { signature: key } : {}),
        }),
    expectRefusal: (res) => {
      expect(res.body).toMatchObject({ errorCode: '403' });
    },
  },
];

const FOREIGN: [string, Record<string, string>][] = [
  ['Sec-Fetch-Site: cross-site', { 'Sec-Fetch-Site': 'cross-site' }],
  ['Sec-Fetch-Site: same-site', { 'Sec-Fetch-Site': 'same-site' }],
  ['Origin of another site', { Origin: 'https://evil.example' }],
  ['Origin: null', { Origin: 'null' }],
  ['an Origin CORS_ORIGINS lists', { Origin: LISTED, 'Sec-Fetch-Site': 'cross-site' }],
];

const OWN_OR_SCRIPT: [string, Record<string, string>][] = [
  ['neither Origin nor Sec-Fetch-Site (a script)', {}],
  ['Sec-Fetch-Site: same-origin', { 'Sec-Fetch-Site': 'same-origin', Origin: OWN }],
  ['Sec-Fetch-Site: none (typed in the address bar)', { 'Sec-Fetch-Site': 'none' }],
  ['snip’s own Origin', { Origin: OWN }],
];

describe('creation without a key from another site', () => {
  for (const door of DOORS) {
    it.each(FOREIGN)(
      `${door.name}: when a request without a key carries %s, then 403 in the door's own shape and nothing is stored`,
      async (_name, headers) => {
        setup({ CORS_ORIGINS: LISTED });
        const res = await door.send(headers);
        expect(res.status).toBe(403);
        door.expectRefusal(res);
        expect(res.headers['access-control-allow-origin']).toBeUndefined();
        expect(t.countLinks()).toBe(0);
      },
    );

    it.each(OWN_OR_SCRIPT)(
      `${door.name}: when a request without a key carries %s, then the link is made`,
      async (_name, headers) => {
        setup();
        const res = await door.send(headers);
        expect(res.status, res.text).toBeLessThan(300);
        expect(t.countLinks()).toBe(1);
      },
    );

    it(`${door.name}: when a request with a key comes from another site, then the link is made`, async () => {
      setup();
      const key = await createApiKey(t);
      const res = await door.send({ 'Sec-Fetch-Site': 'cross-site', Origin: LISTED }, key);
      expect(res.status, res.text).toBeLessThan(300);
      expect(t.countLinks()).toBe(1);
    });
  }

  it('without BASE_URL, snip’s own origin is the request’s: its own pages pass, another site does not', async () => {
    t = buildTestApp();
    const post = (origin: string) =>
      request(t.app)
        .post('/api/v1/links')
        .set({ Host: 'sn.test:8080', Origin: origin })
        .send({ url: 'https://a.example/' });
    expect((await post('http://sn.test:8080')).status).toBe(201);
    expect((await post('http://evil.test:8080')).status).toBe(403);
    expect(t.countLinks()).toBe(1);
  });
});

describe('CORS', () => {
  const PREFIXES = ['/api/v1/links', '/rest/v3/short-urls', '/api/v2/links', '/yourls-api.php'];

  it.each(PREFIXES)(
    'when CORS_ORIGINS is unset, then a preflight to %s gets no CORS headers',
    async (path) => {
      setup();
      const res = await request(t.app)
        .options(path)
        .set({ Origin: LISTED, 'Access-Control-Request-Method': 'POST' });
      expect(res.status).toBe(204);
      expect(res.headers['access-control-allow-origin']).toBeUndefined();
      expect(res.headers['access-control-allow-methods']).toBeUndefined();
      expect(res.headers.vary).toMatch(/Origin/);
    },
  );

  it.each(PREFIXES)(
    'when CORS_ORIGINS lists an origin, then a preflight to %s from it is allowed, from any other origin not',
    async (path) => {
      setup({ CORS_ORIGINS: `${LISTED}, https://other.example` });
      const allowed = await request(t.app).options(path).set({
        Origin: LISTED,
        'Access-Control-Request-Method': 'POST',
        'Access-Control-Request-Headers': 'x-api-key,content-type',
      });
      expect(allowed.status).toBe(204);
      expect(allowed.headers['access-control-allow-origin']).toBe(LISTED);
      expect(allowed.headers.vary).toMatch(/Origin/);
      expect(allowed.headers['access-control-allow-methods']).toMatch(/\bPOST\b/);
      expect(allowed.headers['access-control-allow-headers']).toMatch(/X-Api-Key/i);
      expect(allowed.headers['access-control-allow-headers']).toMatch(/Authorization/i);
      const refused = await request(t.app)
        .options(path)
        .set({ Origin: 'https://evil.example', 'Access-Control-Request-Method': 'POST' });
      expect(refused.status).toBe(204);
      expect(refused.headers['access-control-allow-origin']).toBeUndefined();
    },
  );

  it('when a listed origin calls with a key, then the answer carries CORS headers; without a key, or from an unlisted origin, none', async () => {
    setup({ CORS_ORIGINS: LISTED });
    const key = await createApiKey(t);
    const keyed = await request(t.app)
      .get('/api/v1/links')
      .set({ Origin: LISTED, Authorization: `Bearer ${key}` })
      .expect(200);
    expect(keyed.headers['access-control-allow-origin']).toBe(LISTED);
    expect(keyed.headers['access-control-expose-headers']).toMatch(/RateLimit-Remaining/);
    const shlink = await request(t.app)
      .get('/rest/v3/short-urls')
      .set({ Origin: LISTED, 'X-Api-Key': key })
      .expect(200);
    expect(shlink.headers['access-control-allow-origin']).toBe(LISTED);
    const keyless = await request(t.app).get('/api/v1/openapi.json').set({ Origin: LISTED });
    expect(keyless.headers['access-control-allow-origin']).toBeUndefined();
    const unlisted = await request(t.app)
      .get('/api/v1/links')
      .set({ Origin: 'https://evil.example', Authorization: `Bearer ${key}` });
    expect(unlisted.headers['access-control-allow-origin']).toBeUndefined();
  });

  it.each([
    ['a path', 'https://app.example/path'],
    ['a wildcard', '*'],
    ['not a URL', 'app.example'],
    ['another scheme', 'ftp://app.example'],
  ])('when CORS_ORIGINS holds %s, then the configuration is refused', (_name, value) => {
    expect(() => buildTestApp({ CORS_ORIGINS: value })).toThrow(/CORS_ORIGINS/);
  });
});

describe('WWW-Authenticate on the API’s 401s', () => {
  it('when no key is sent where one is needed, then 401 says Bearer realm="snip"', async () => {
    setup();
    const res = await request(t.app).get('/api/v1/links').expect(401);
    expect(res.headers['www-authenticate']).toBe('Bearer realm="snip"');
  });

  it('when a wrong key is sent, then 401 says the token is invalid', async () => {
    setup();
    const res = await request(t.app)
      .get('/api/v1/links')
      .set('Authorization', 'Bearer snip_not-a-key')
      .expect(401);
    expect(res.headers['www-authenticate']).toBe('Bearer realm="snip", error="invalid_token"');
  });

  it('when CREATE_ACCESS is private and creation comes without a key, then 401 says Bearer realm="snip"', async () => {
    setup({ CREATE_ACCESS: 'private', ADMIN_PASSWORD: 'correct horse battery' });
    const res = await request(t.app)
      .post('/api/v1/links')
      .send({ url: 'https://a.example/' })
      .expect(401);
    expect(res.headers['www-authenticate']).toBe('Bearer realm="snip"');
  });
});
