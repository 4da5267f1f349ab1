import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKeyRepository } from '../../src/keys/key-store.sqlite.js';
import { createKeyService } from '../../src/keys/key-service.js';
import { BAD_API_TEXTS, refusedUrlRows } from '../support/bad-input-rows.js';
import { buildTestApp, type TestApp } from '../support/test-app.js';

// The API rows of BAD-INPUTS.md: `POST /api/v1/links` with a JSON body and a valid key. The API
// and the form share one policy, so every row gets the status the table lists for the form.

const OUR_HOST = 'snip.example';
let t: TestApp;
let key: string;

beforeAll(async () => {
  t = buildTestApp({ BASE_URL: `https://${OUR_HOST}` });
  key = (await createKeyService({ keys: createKeyRepository(t.db), now: Date.now }).createKey({
    name: 'rows',
    scope: 'full',
    expiresAt: null,
  }))!;
});
afterAll(() => t.db.close());

function post(body: unknown, headers: Record<string, string> = {}) {
  return request(t.app)
    .post('/api/v1/links')
    .set({ 'X-Api-Key': key, ...headers })
    .send(body as object);
}

/** A 4xx problem document, no stack trace, and no new link. */
async function expectProblem(
  res: request.Test | Promise<request.Response>,
  status: number,
  type: string,
): Promise<request.Response> {
  const before = t.countLinks();
  const answer = await res;
  expect(answer.status).toBe(status);
  expect(answer.headers['content-type']).toMatch(/^application\/problem\+json/);
  expect(answer.body).toMatchObject({ type: `/api/v1/problems/${type}`, status });
  expect(answer.text).not.toMatch(/\n\s+at /);
  expect(t.countLinks()).toBe(before);
  return answer;
}

describe('a link’s title and note through the API', () => {
  it.each(BAD_API_TEXTS)(
    'when a creation sends a %s with %s, then 400 points at it and nothing is stored',
    async (field, _what, value) => {
      const res = await expectProblem(
        post({ url: 'https://a.example/', [field]: value }),
        400,
        'invalid-request',
      );
      expect(res.body.errors[0].pointer).toBe(`/${field}`);
    },
  );

  it.each(BAD_API_TEXTS)(
    'when an update sends a %s with %s, then 400 points at it and the link is unchanged',
    async (field, _what, value) => {
      const made = await post({ url: 'https://a.example/', title: 'Kept', note: 'Kept' });
      const code = made.body.code as string;
      const res = await request(t.app)
        .patch(`/api/v1/links/${code}`)
        .set({ 'X-Api-Key': key })
        .send({ [field]: value, url: 'https://changed.example/' });
      expect(res.status).toBe(400);
      expect(res.body.errors[0].pointer).toBe(`/${field}`);
      expect(await t.services.links.findLink(code)).toMatchObject({
        target: 'https://a.example/',
        title: 'Kept',
        note: 'Kept',
      });
    },
  );
});

describe('BAD-INPUTS URL rows through the API', () => {
  it.each([
    ...refusedUrlRows(OUR_HOST),
    ['10', 'evil.example'],
    ['22', `https://a.example/${'a'.repeat(2048 - 'https://a.example/'.length + 1)}`],
  ])('row %s: when the url is %j, then 422 and nothing is stored', async (_, url) => {
    const res = await expectProblem(post({ url }), 422, 'refused');
    expect(res.body.errors[0].pointer).toBe('/url');
    expect(res.body.errors[0].detail).not.toContain(url);
  });

  it.each([
    ['18', 'http://7f000001.nip.io/', 'http://7f000001.nip.io/'],
    ['19', 'https://аpple.com/', 'https://xn--pple-43d.com/'],
    ['20', 'https://ａｐｐｌｅ.com/', 'https://apple.com/'],
    ['21', `https://a.example/${'b'.repeat(2048 - 'https://a.example/'.length)}`, null],
    [
      '24',
      'https://a.example/%0d%0aSet-Cookie:%20x=1',
      'https://a.example/%0d%0aSet-Cookie:%20x=1',
    ],
    [
      '27',
      'https://a.example/"><script>alert(1)</script>',
      'https://a.example/%22%3E%3Cscript%3Ealert(1)%3C/script%3E',
    ],
    [
      '28',
      'https://a.example/?q=<img src=x onerror=alert(1)>',
      'https://a.example/?q=%3Cimg%20src=x%20onerror=alert(1)%3E',
    ],
    ['29', 'https://a.example/\u202Etxt.exe', 'https://a.example/%E2%80%AEtxt.exe'],
  ])('row %s: when the url is %j, then 201 and it is stored normalised', async (_, url, stored) => {
    const res = await post({ url }).expect(201);
    expect(res.body.url).toBe(stored ?? url);
    const follow = await request(t.app).get(`/${res.body.code}`).expect(302);
    expect(follow.headers.location).toBe(res.body.url);
    expect(follow.headers['set-cookie']).toBeUndefined();
  });
});

describe('BAD-INPUTS body rows', () => {
  it('row 23: when the body is 200 KB, then 413', async () => {
    await expectProblem(post({ url: 'a'.repeat(200_000) }), 413, 'request-too-large');
  });

  it.each([
    ['an array', { url: ['https://a.example'] }],
    ['an operator object', { url: { $gt: '' } }],
    ['a number', { url: 42 }],
    ['null', { url: null }],
  ])('row 30: when url is %s, then 400 names the field', async (_, body) => {
    const res = await expectProblem(post(body), 400, 'invalid-request');
    expect(res.body.errors).toEqual([{ pointer: '/url', detail: expect.stringMatching(/^url /) }]);
  });

  it('row 31: when url is missing or the body is a top-level array, then 400', async () => {
    const missing = await expectProblem(post({}), 400, 'invalid-request');
    expect(missing.body.errors).toEqual([{ pointer: '/url', detail: 'url is required' }]);
    await expectProblem(post([1, 2, 3]), 400, 'invalid-request');
  });

  it('row 32: when the body carries __proto__, then it is refused as an unknown field and nothing is polluted', async () => {
    const res = await expectProblem(
      post('{"__proto__":{"admin":true},"url":"https://a.example/"}', {
        'Content-Type': 'application/json',
      }),
      400,
      'invalid-request',
    );
    expect(res.body.errors).toEqual([
      { pointer: '/__proto__', detail: '"__proto__" is not a field of this request' },
    ]);
    expect(({} as Record<string, unknown>).admin).toBeUndefined();
  });

  it('row 33: when the JSON is broken, then 400 without a stack trace', async () => {
    const res = await expectProblem(
      post('{"url":\'x', { 'Content-Type': 'application/json' }),
      400,
      'invalid-request',
    );
    expect(res.body.detail).toBe('The body is not valid JSON.');
  });

  it('row 34: when the body is text/plain, then 415', async () => {
    await expectProblem(
      post('https://a.example/', { 'Content-Type': 'text/plain' }),
      415,
      'unsupported-media-type',
    );
  });

  it.each([
    [
      'Content-Encoding: bogus',
      { 'Content-Type': 'application/json', 'Content-Encoding': 'bogus' },
    ],
    ['charset=BOGUS', { 'Content-Type': 'application/json; charset=BOGUS' }],
  ])('row 35: when the body has %s, then 415', async (_, headers) => {
    await expectProblem(
      post('{"url":"https://a.example/"}', headers),
      415,
      'unsupported-media-type',
    );
  });

  it.each([['true'], [1], [0], [null], [[true]], [{}], ['on']])(
    'when forwardQuery is %j, not a boolean, then 400 names it and nothing is stored',
    async (forwardQuery) => {
      const res = await expectProblem(
        post({ url: 'https://a.example/', forwardQuery }),
        400,
        'invalid-request',
      );
      expect(res.body.errors).toEqual([
        { pointer: '/forwardQuery', detail: 'forwardQuery must be true or false' },
      ]);
    },
  );

  it('when a field is unknown, then 400 names it rather than ignoring it', async () => {
    const res = await expectProblem(
      post({ url: 'https://a.example/', longUrl: 'x' }),
      400,
      'invalid-request',
    );
    expect(res.body.errors).toEqual([
      { pointer: '/longUrl', detail: '"longUrl" is not a field of this request' },
    ]);
  });
});

describe('BAD-INPUTS alias rows through the API', () => {
  it.each(['admin', 'api', 'static', 'healthz', 'shorten', 'links', 'ADMIN'])(
    'row 39: when the alias is %s, then 422 reserved',
    async (alias) => {
      const res = await expectProblem(post({ url: 'https://a.example/', alias }), 422, 'refused');
      expect(res.body.errors[0]).toMatchObject({ pointer: '/alias' });
      expect(res.body.errors[0].detail).toContain('reserved');
    },
  );

  it.each([
    '../etc/passwd',
    'a/b',
    'a%2Fb',
    '.',
    '..',
    'a b',
    'a?b',
    'a#b',
    'аdmin',
    'ａｄｍｉｎ',
    '🔥🔥🔥',
    'x'.repeat(65),
  ])('rows 40–42: when the alias is %j, then 422', async (alias) => {
    await expectProblem(post({ url: 'https://a.example/', alias }), 422, 'refused');
  });

  it('row 42: when the alias is empty, then a code is generated', async () => {
    const res = await post({ url: 'https://a.example/', alias: '' }).expect(201);
    expect(res.body.code).toMatch(/^[A-Za-z0-9]{7}$/);
  });

  it('row 43: when 10 requests race for the same new alias, then exactly one wins and nine get 409', async () => {
    const answers = await Promise.all(
      Array.from({ length: 10 }, () => post({ url: 'https://a.example/race', alias: 'api-race' })),
    );
    const statuses = answers.map((res) => res.status).sort();
    expect(statuses).toEqual([201, ...Array(9).fill(409)]);
  });
});

describe('BAD-INPUTS row 56', () => {
  it('when the Host header is spoofed, then the short URL still uses BASE_URL', async () => {
    // The APIs answer on any host (scripts call snip by internal names); pages do not (ADR 028).
    const res = await post({ url: 'https://a.example/host' }, { Host: 'evil.example' }).expect(201);
    expect(res.body.shortUrl).toMatch(new RegExp(`^https://${OUR_HOST}/`));
    expect(res.text).not.toContain('evil.example');
  });
});
