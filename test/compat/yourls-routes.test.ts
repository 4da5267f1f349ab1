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
 * The YOURLS API as its clients call it: ShareX's YOURLS shortener and its yourls.org and tny.im
 * uploaders, and Raycast's YOURLS extension.
 */

const NOW = Date.UTC(2030, 0, 15, 12, 0, 0);
const YOURLS_NOW = '2030-01-15 12:00:00';

let t: TestApp;
let key: string;

async function buildApp(env: Record<string, string> = {}) {
  t = buildTestApp({ BASE_URL: ORIGIN, ...env }, { now: () => NOW });
  key = await createApiKey(t);
}

beforeEach(() => buildApp());
afterEach(() => t?.db.close());

const PLEASE_LOG_IN = { message: 'Please log in', errorCode: '403', callback: '' };
const UNKNOWN_ACTION = { errorCode: '400', message: 'Unknown or missing "action" parameter' };

/** ShareX posts every field as multipart/form-data. */
function shareX(fields: Record<string, string>) {
  let req = request(t.app).post('/yourls-api.php').set('User-Agent', 'ShareX/16.0.0');
  for (const [name, value] of Object.entries(fields)) req = req.field(name, value);
  return req;
}

/** Raycast and tny.im ask with GET and a query string. */
function ask(params: Record<string, string>) {
  return request(t.app).get('/yourls-api.php').query(params);
}

function expectJson(res: request.Response, status: number) {
  expect(res.status).toBe(status);
  expect(res.headers['content-type']).toMatch(/^application\/json/);
  return JSON.parse(res.text) as Record<string, unknown>;
}

function expectText(res: request.Response, status: number, text: string) {
  expect(res.status).toBe(status);
  expect(res.headers['content-type']).toMatch(/^text\/plain/);
  expect(res.text).toBe(text);
}

/** YOURLS's shorturl success answer, every field a string (statusCode too). */
function expectAdded(body: Record<string, unknown>, url: string, keyword: string, title = '') {
  expect(body).toEqual({
    status: 'success',
    code: '',
    message: `${url} added to database`,
    errorCode: '',
    statusCode: '200',
    url: { keyword, url, title, date: YOURLS_NOW, ip: '' },
    title,
    shorturl: `${ORIGIN}/${keyword}`,
  });
}

async function shorten(url: string, keyword?: string) {
  const res = await ask({
    signature: key,
    action: 'shorturl',
    url,
    format: 'json',
    ...(keyword ? { keyword } : {}),
  });
  expect(res.status).toBe(200);
  return JSON.parse(res.text) as { shorturl: string; url: { keyword: string } };
}

describe("ShareX's YOURLS shortener and yourls.org.sxcu", () => {
  it('when ShareX posts signature, action=shorturl, url and format=simple as multipart, then the whole body is the short URL (200)', async () => {
    const res = await shareX({
      signature: key,
      action: 'shorturl',
      url: 'https://long.example/sharex',
      format: 'simple',
    });

    expectText(res, 200, `${ORIGIN}/${t.lastCode()}`);
    expect(t.countLinks()).toBe(1);
    const follow = await request(t.app).get(new URL(res.text).pathname);
    expect(follow.status).toBe(302);
    expect(follow.headers.location).toBe('https://long.example/sharex');
  });

  it('when a multipart body uses a one-character boundary, then its fields are read like any other', async () => {
    const body = ['signature', 'action', 'url', 'format']
      .map((name, i) => {
        const value = [key, 'shorturl', 'https://long.example/x', 'simple'][i];
        return `--x\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`;
      })
      .join('');
    const res = await request(t.app)
      .post('/yourls-api.php')
      .set('Content-Type', 'multipart/form-data; boundary=x')
      .send(Buffer.from(`${body}--x--\r\n`));
    expectText(res, 200, `${ORIGIN}/${t.lastCode()}`);
  });

  it('when a multipart body cannot be read, then 400 in the format the query asks for, and nothing is stored', async () => {
    const res = await request(t.app)
      .post('/yourls-api.php?format=json')
      .set('Content-Type', 'multipart/form-data; boundary=b0und')
      .send(
        Buffer.from('--b0und\r\nContent-Disposition: form-data; name="url"\r\n\r\nhttps://a.ex'),
      );
    expect(expectJson(res, 400)).toEqual({
      message: 'The multipart body could not be read.',
      errorCode: '400',
    });
    expect(t.countLinks()).toBe(0);
  });

  it('when ShareX posts with a wrong signature, then the status is 403 (not 2xx) and nothing is stored', async () => {
    const res = await shareX({
      signature: 'snip_wrong',
      action: 'shorturl',
      url: 'https://long.example/wrong',
      format: 'simple',
    });
    expect(res.status).toBe(403);
    expect(res.text).not.toMatch(/^https?:/);
    expect(t.countLinks()).toBe(0);
  });

  it.each(REFUSED_TARGETS)(
    'when ShareX posts %s, then the status is 400 (not 2xx) and nothing is stored',
    async (_what, url) => {
      const res = await shareX({ signature: key, action: 'shorturl', url, format: 'simple' });
      expect(res.status).toBe(400);
      expect(res.text).not.toMatch(/^https?:/);
      expect(t.countLinks()).toBe(0);
    },
  );

  it('when ShareX posts a URL snip has shortened already, then it gets another short URL (snip never answers "already exists")', async () => {
    const first = await shareX({
      signature: key,
      action: 'shorturl',
      url: 'https://long.example/again',
      format: 'simple',
    });
    const second = await shareX({
      signature: key,
      action: 'shorturl',
      url: 'https://long.example/again',
      format: 'simple',
    });
    expect(first.status).toBe(200);
    expect(second.status).toBe(200);
    expect(second.text).not.toBe(first.text);
    expect(t.countLinks()).toBe(2);
  });
});

describe('tny.im (w Keyword).sxcu', () => {
  it('when it asks with GET, a keyword and format=json (no signature), then $json:shorturl$ is the short URL on that keyword', async () => {
    const res = await ask({
      action: 'shorturl',
      keyword: 'my-kw',
      url: 'https://long.example/tny',
      format: 'json',
    });

    const body = expectJson(res, 200);
    expectAdded(body, 'https://long.example/tny', 'my-kw');
    expect(body.shorturl).toBe(`${ORIGIN}/my-kw`);
  });

  it('when it asks for a keyword that is taken, then it gets 400 with error:keyword and YOURLS\u2019s message', async () => {
    await shorten('https://long.example/one', 'taken');

    const res = await ask({
      action: 'shorturl',
      keyword: 'taken',
      url: 'https://long.example/two',
      format: 'json',
    });

    expect(expectJson(res, 400)).toEqual({
      status: 'fail',
      code: 'error:keyword',
      message: 'Short URL taken already exists in database or is reserved',
      errorCode: '400',
      statusCode: '400',
    });
    expect(t.countLinks()).toBe(1);
  });
});

describe("Raycast's YOURLS extension", () => {
  it('when it shortens with GET, signature, format=json, a title and a lowercased keyword, then it reads shorturl and the title (ip stays empty: snip stores none)', async () => {
    const res = await ask({
      signature: key,
      format: 'json',
      action: 'shorturl',
      url: 'https://long.example/raycast',
      title: 'A page',
      keyword: 'raycast-kw',
    });

    const body = expectJson(res, 200);
    expectAdded(body, 'https://long.example/raycast', 'raycast-kw', 'A page');
    expect(body.shorturl).toBe(`${ORIGIN}/raycast-kw`);
  });

  it('when it leaves title and keyword empty, then snip generates a code', async () => {
    const res = await ask({
      signature: key,
      format: 'json',
      action: 'shorturl',
      url: 'https://long.example/no-keyword',
      title: '',
      keyword: '',
    });

    const body = expectJson(res, 200);
    const code = t.lastCode()!;
    expect(code).toMatch(/^[A-Za-z0-9_-]{7}$/);
    expectAdded(body, 'https://long.example/no-keyword', code);
  });

  it('when its request fails, then it reads a message from the non-2xx answer', async () => {
    const res = await ask({
      signature: key,
      format: 'json',
      action: 'shorturl',
      url: 'javascript:alert(1)',
      title: '',
      keyword: 'bad',
    });
    const body = expectJson(res, 400);
    expect(body).toEqual({
      status: 'fail',
      code: 'error:nourl',
      message: expect.any(String),
      errorCode: '400',
      statusCode: '400',
    });
    expect(String(body.message).length).toBeGreaterThan(0);
  });

  it('when it lists links with action=stats, then it gets them with the totals (test/compat/yourls-stats.test.ts)', async () => {
    await shorten('https://long.example/listed');
    const res = await ask({ signature: key, format: 'json', action: 'stats', limit: '9999' });
    expect(expectJson(res, 200)).toMatchObject({
      links: { link_1: { url: 'https://long.example/listed', clicks: '0' } },
      stats: { total_links: 1, total_clicks: 0 },
      statusCode: '200',
      message: 'success',
    });
  });
});

describe('expand and url-stats, as YOURLS API scripts ask', () => {
  it.each([
    ['its keyword', (code: string) => code],
    ['the full short URL', (code: string) => `${ORIGIN}/${code}`],
  ])('when a script expands %s as JSON, then it gets the long URL', async (_what, shorturl) => {
    await shorten('https://long.example/expand', 'exp-kw');

    const res = await ask({
      signature: key,
      action: 'expand',
      shorturl: shorturl('exp-kw'),
      format: 'json',
    });

    expect(expectJson(res, 200)).toEqual({
      keyword: 'exp-kw',
      shorturl: `${ORIGIN}/exp-kw`,
      longurl: 'https://long.example/expand',
      title: '',
      message: 'success',
      statusCode: '200',
    });
  });

  it('when a script expands as simple, then the body is the long URL', async () => {
    await shorten('https://long.example/expand-simple', 'exp-simple');
    const res = await ask({
      signature: key,
      action: 'expand',
      shorturl: 'exp-simple',
      format: 'simple',
    });
    expectText(res, 200, 'https://long.example/expand-simple');
  });

  it('when a script expands an unknown short URL, then it gets 404 (JSON) or "not found" (simple)', async () => {
    const json = await ask({
      signature: key,
      action: 'expand',
      shorturl: 'nope123',
      format: 'json',
    });
    expect(expectJson(json, 404)).toEqual({
      keyword: 'nope123',
      message: 'Error: short URL not found',
      errorCode: '404',
    });
    const simple = await ask({
      signature: key,
      action: 'expand',
      shorturl: 'nope123',
      format: 'simple',
    });
    expectText(simple, 404, 'not found');
  });

  it('when a script asks url-stats as JSON after a visit, then link carries the clicks as a string', async () => {
    await shorten('https://long.example/stats', 'stats-kw');
    await request(t.app).get('/stats-kw').set('User-Agent', BROWSER_UA).expect(302);

    const res = await ask({
      signature: key,
      action: 'url-stats',
      shorturl: 'stats-kw',
      format: 'json',
    });

    expect(expectJson(res, 200)).toEqual({
      statusCode: '200',
      message: 'success',
      link: {
        shorturl: `${ORIGIN}/stats-kw`,
        url: 'https://long.example/stats',
        title: '',
        timestamp: YOURLS_NOW,
        ip: '',
        clicks: '1',
      },
    });
  });

  it('when a script asks url-stats as simple, then YOURLS\u2019s words say it needs XML or JSON', async () => {
    await shorten('https://long.example/stats-simple', 'stats-simple');
    const res = await ask({
      signature: key,
      action: 'url-stats',
      shorturl: 'stats-simple',
      format: 'simple',
    });
    expectText(res, 200, 'Need either XML or JSON format for stats');
  });
});

describe('formats, as YOURLS API scripts ask', () => {
  it('when a script leaves format out, then the answer is XML with the root element <root> (as since YOURLS 1.8)', async () => {
    const res = await ask({ signature: key, action: 'shorturl', url: 'https://long.example/xml' });

    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/xml/);
    const code = t.lastCode()!;
    expect(res.text).toMatch(/^<\?xml version="1\.0" encoding="UTF-8"\?>\n<root>[\s\S]*<\/root>$/);
    expect(res.text).toContain('<status>success</status>');
    expect(res.text).toContain('<statusCode>200</statusCode>');
    expect(res.text).toContain(`<shorturl>${ORIGIN}/${code}</shorturl>`);
    expect(res.text).toContain(
      `<url><keyword>${code}</keyword><url>https://long.example/xml</url><title></title><date>${YOURLS_NOW}</date><ip></ip></url>`,
    );
  });

  it('when a script asks for XML, then characters of the URL are escaped', async () => {
    const res = await ask({
      signature: key,
      action: 'shorturl',
      url: 'https://long.example/?a=1&b=<2>',
      format: 'xml',
    });
    expect(res.status).toBe(200);
    expect(res.text).not.toContain('&b=');
    expect(res.text).toContain('a=1&#38;b=');
  });

  it('when a script without format is refused, then the refusal is XML too', async () => {
    const res = await ask({
      signature: 'snip_wrong',
      action: 'shorturl',
      url: 'https://long.example/',
    });
    expect(res.status).toBe(403);
    expect(res.headers['content-type']).toMatch(/^application\/xml/);
    expect(res.text).toContain(
      '<root><message>Please log in</message><errorCode>403</errorCode><callback></callback></root>',
    );
  });
});

describe('signatures and access', () => {
  it('when Raycast sends a wrong signature, then it gets 403 "Please log in" as JSON and nothing is stored', async () => {
    const res = await ask({
      signature: 'snip_wrong',
      action: 'shorturl',
      url: 'https://long.example/',
      format: 'json',
    });
    expect(expectJson(res, 403)).toEqual(PLEASE_LOG_IN);
    expect(t.countLinks()).toBe(0);
  });

  it('when Raycast sends a revoked key, then it is refused like a wrong one', async () => {
    const revoked = await createApiKey(t, 'full', 'old-laptop');
    await revokeApiKey(t, 'old-laptop');
    const res = await ask({
      signature: revoked,
      action: 'shorturl',
      url: 'https://long.example/',
      format: 'json',
    });
    expect(expectJson(res, 403)).toEqual(PLEASE_LOG_IN);
    expect(t.countLinks()).toBe(0);
  });

  it('when a script sends a time-limited signature (timestamp + hash) to a snip without ADMIN_PASSWORD, then snip refuses it with 403', async () => {
    const res = await ask({
      timestamp: String(Math.floor(NOW / 1000)),
      signature: 'd41d8cd98f00b204e9800998ecf8427e',
      action: 'shorturl',
      url: 'https://long.example/hashed',
      format: 'json',
    });
    const body = expectJson(res, 403);
    expect(body).toMatchObject({
      errorCode: '403',
      message: expect.stringMatching(/^Please log in: .*ADMIN_PASSWORD/),
    });
    expect(t.countLinks()).toBe(0);
  });

  it('when a script sends username and password, then snip refuses them with 403', async () => {
    const res = await ask({
      username: 'admin',
      password: 'secret',
      action: 'shorturl',
      url: 'https://long.example/password',
      format: 'json',
    });
    expect(expectJson(res, 403)).toMatchObject({ errorCode: '403', message: expect.any(String) });
    expect(t.countLinks()).toBe(0);
  });

  it('when Raycast shortens with a create-only key, then it works; when url-stats is asked with it, then it gets 403 "Please log in"', async () => {
    const createOnly = await createApiKey(t, 'create-only');
    const created = await ask({
      signature: createOnly,
      action: 'shorturl',
      url: 'https://long.example/co',
      format: 'json',
    });
    expect(created.status).toBe(200);
    const code = t.lastCode()!;

    const stats = await ask({
      signature: createOnly,
      action: 'url-stats',
      shorturl: code,
      format: 'json',
    });
    expect(expectJson(stats, 403)).toEqual(PLEASE_LOG_IN);
  });

  it.each(['url-stats', 'expand'])(
    'when a script asks %s without a signature, then it is 403 "Please log in"',
    async (action) => {
      await shorten('https://long.example/anonymous-read', 'anon-read');
      const res = await ask({ action, shorturl: 'anon-read', format: 'json' });
      expect(expectJson(res, 403)).toEqual(PLEASE_LOG_IN);
    },
  );

  it('when a script expands with a create-only key, then it gets 403 "Please log in" (it may only create)', async () => {
    await shorten('https://long.example/co-expand', 'co-expand');
    const createOnly = await createApiKey(t, 'create-only');
    const res = await ask({
      signature: createOnly,
      action: 'expand',
      shorturl: 'co-expand',
      format: 'json',
    });
    expect(expectJson(res, 403)).toEqual(PLEASE_LOG_IN);
  });

  it('when tny.im or ShareX shortens without a signature while creation is private, then it is 403 "Please log in" and nothing is stored; ShareX with the signature works', async () => {
    t.db.close();
    await buildApp({ CREATE_ACCESS: 'private' });

    const anonymous = await ask({
      action: 'shorturl',
      keyword: 'kw',
      url: 'https://long.example/p',
      format: 'json',
    });
    expect(expectJson(anonymous, 403)).toEqual(PLEASE_LOG_IN);
    const anonymousShareX = await shareX({
      action: 'shorturl',
      url: 'https://long.example/p',
      format: 'simple',
    });
    expect(anonymousShareX.status).toBe(403);
    expect(t.countLinks()).toBe(0);

    const withKey = await shareX({
      signature: key,
      action: 'shorturl',
      url: 'https://long.example/p',
      format: 'simple',
    });
    expectText(withKey, 200, `${ORIGIN}/${t.lastCode()}`);
  });

  it('when Raycast makes one request more than RATE_LIMIT_API allows, then it gets 429 with Retry-After and nothing more is stored', async () => {
    t.db.close();
    await buildApp({ RATE_LIMITS: 'on', RATE_LIMIT_API: '3/min' });

    for (let i = 0; i < 3; i++) await shorten(`https://long.example/limited/${i}`);
    const res = await ask({
      signature: key,
      action: 'shorturl',
      url: 'https://long.example/4',
      format: 'json',
    });

    expect(expectJson(res, 429)).toEqual({ message: expect.any(String), errorCode: '429' });
    expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
    expect(t.countLinks()).toBe(3);
  });

  it.each(REFUSED_TARGETS)(
    'when Raycast shortens %s, then it gets 400 error:nourl and nothing is stored',
    async (_what, url) => {
      const res = await ask({ signature: key, action: 'shorturl', url, format: 'json' });
      expect(expectJson(res, 400)).toEqual({
        status: 'fail',
        code: 'error:nourl',
        message: expect.any(String),
        errorCode: '400',
        statusCode: '400',
      });
      expect(t.countLinks()).toBe(0);
    },
  );

  it('when a script leaves action out, then it is the unknown-action answer (400)', async () => {
    const res = await ask({ signature: key, format: 'json' });
    expect(expectJson(res, 400)).toEqual(UNKNOWN_ACTION);
  });
});
