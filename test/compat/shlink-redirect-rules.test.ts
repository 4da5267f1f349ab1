import request from 'supertest';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createApiKey, ORIGIN } from '../support/compat-clients.js';
import { buildTestApp, type TestApp } from '../support/test-app.js';

/**
 * Shlink's redirect rules, as its SDK (`getShortUrlRedirectRules`, `setShortUrlRedirectRules`)
 * and web client call them: `GET` and `POST /rest/v3/short-urls/{shortCode}/redirect-rules` in
 * Shlink's shape (ShortUrlRedirectRule, RedirectCondition), mapped onto snip's rules.
 */

const IPHONE =
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148';

let t: TestApp;
let key: string;
beforeEach(async () => {
  t = buildTestApp({ BASE_URL: ORIGIN });
  key = await createApiKey(t);
  const made = await shlink('post', '/short-urls').send({
    longUrl: 'https://long.example/page',
    customSlug: 'ruled',
  });
  expect(made.status).toBe(200);
});
afterEach(() => t?.db.close());

function shlink(method: 'get' | 'post' | 'patch', path: string, apiKey = key) {
  return request(t.app)[method](`/rest/v3${path}`).set({
    'X-Api-Key': apiKey,
    'Content-Type': 'application/json',
    Accept: 'application/json',
  });
}

const SHLINK_RULES = [
  {
    longUrl: 'https://apps.example/ios',
    conditions: [{ type: 'device', matchKey: null, matchValue: 'ios' }],
  },
  {
    longUrl: 'https://long.example/de',
    conditions: [
      { type: 'language', matchKey: null, matchValue: 'de' },
      { type: 'query-param', matchKey: 'ref', matchValue: 'news' },
      { type: 'any-value-query-param', matchKey: 'campaign', matchValue: null },
      { type: 'valueless-query-param', matchKey: 'preview', matchValue: null },
    ],
  },
  {
    longUrl: 'https://long.example/later',
    conditions: [
      { type: 'after-date', matchKey: null, matchValue: '2027-01-01T00:00:00+00:00' },
      { type: 'before-date', matchKey: null, matchValue: '2028-01-01T00:00:00+00:00' },
    ],
  },
];

describe("Shlink's redirect rules", () => {
  it('when a short URL has none, then GET answers its long URL and an empty list', async () => {
    const res = await shlink('get', '/short-urls/ruled/redirect-rules').expect(200);
    expect(res.body).toEqual({ defaultLongUrl: 'https://long.example/page', redirectRules: [] });
    const one = await shlink('get', '/short-urls/ruled').expect(200);
    expect(one.body.hasRedirectRules).toBe(false);
  });

  it('when rules are set, then they come back in Shlink’s shape with their priorities, and the redirect follows them', async () => {
    const set = await shlink('post', '/short-urls/ruled/redirect-rules')
      .send({ redirectRules: SHLINK_RULES })
      .expect(200);
    const expected = {
      defaultLongUrl: 'https://long.example/page',
      redirectRules: SHLINK_RULES.map((rule, index) => ({ ...rule, priority: index + 1 })),
    };
    expect(set.body).toEqual(expected);
    expect((await shlink('get', '/short-urls/ruled/redirect-rules')).body).toEqual(expected);
    expect((await shlink('get', '/short-urls/ruled')).body.hasRedirectRules).toBe(true);
    const ios = await request(t.app).get('/ruled').set('User-Agent', IPHONE).expect(302);
    expect(ios.headers.location).toBe('https://apps.example/ios');
    // PATCH (the web client's method) replaces them; an empty list removes them.
    await shlink('patch', '/short-urls/ruled/redirect-rules')
      .send({ redirectRules: [] })
      .expect(200);
    expect((await shlink('get', '/short-urls/ruled')).body.hasRedirectRules).toBe(false);
  });

  it('when a rule has a geolocation-country-code condition, then it is a country condition, read back in Shlink’s shape', async () => {
    const set = await shlink('post', '/short-urls/ruled/redirect-rules').send({
      redirectRules: [
        {
          longUrl: 'https://de.example/',
          conditions: [{ type: 'geolocation-country-code', matchKey: null, matchValue: 'de' }],
        },
      ],
    });
    expect(set.status, set.text).toBe(200);
    const read = await shlink('get', '/short-urls/ruled/redirect-rules').expect(200);
    expect(read.body.redirectRules).toEqual([
      {
        longUrl: 'https://de.example/',
        priority: 1,
        conditions: [{ type: 'geolocation-country-code', matchKey: null, matchValue: 'DE' }],
      },
    ]);
  });

  it.each([
    ['ip-address', { type: 'ip-address', matchKey: null, matchValue: '1.2.3.4' }, 'ip-address'],
    [
      'a country that is not a code',
      { type: 'geolocation-country-code', matchKey: null, matchValue: 'Germany' },
      'two-letter country code',
    ],
    [
      'geolocation-city-name',
      { type: 'geolocation-city-name', matchKey: null, matchValue: 'Berlin' },
      'geolocation-city-name',
    ],
    ['an unknown device', { type: 'device', matchKey: null, matchValue: 'tv' }, 'must be one of'],
    [
      'a date in the wrong format',
      { type: 'before-date', matchKey: null, matchValue: 'next week' },
      'date-time',
    ],
  ])(
    'when a rule has %s, then 400 invalid-data names it and nothing changes',
    async (_what, condition, detail) => {
      const res = await shlink('post', '/short-urls/ruled/redirect-rules').send({
        redirectRules: [{ longUrl: 'https://a.example/', conditions: [condition] }],
      });
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({
        type: 'https://shlink.io/api/error/invalid-data',
        invalidElements: ['redirectRules'],
      });
      expect(res.body.detail).toContain(detail);
      expect((await t.services.links.findLink('ruled'))!.rules).toBeNull();
    },
  );

  it('when a rule sends visits where the URL policy refuses, then 400 and nothing changes', async () => {
    const res = await shlink('post', '/short-urls/ruled/redirect-rules').send({
      redirectRules: [
        {
          longUrl: 'javascript:alert(1)',
          conditions: [{ type: 'device', matchKey: null, matchValue: 'ios' }],
        },
      ],
    });
    expect(res.status).toBe(400);
    expect((await t.services.links.findLink('ruled'))!.rules).toBeNull();
  });

  it('when the short URL does not exist or the key may only create, then Shlink’s 404 and 403', async () => {
    await shlink('get', '/short-urls/missing/redirect-rules').expect(404);
    const createOnly = await createApiKey(t, 'create-only');
    await shlink('get', '/short-urls/ruled/redirect-rules', createOnly).expect(403);
    await shlink('post', '/short-urls/ruled/redirect-rules', createOnly)
      .send({ redirectRules: [] })
      .expect(403);
  });
});
