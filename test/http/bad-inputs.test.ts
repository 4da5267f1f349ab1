import net from 'node:net';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, SAME_ORIGIN, type TestApp } from '../support/test-app.js';

// Rows of BAD-INPUTS.md that concern the shortening form and the redirect path. The URL policy's
// own tests cover each rule in depth; these prove the HTTP layer answers as the table says.

const OUR_HOST = 'snip.example';
let t: TestApp;
let seq = 0;

beforeAll(() => {
  t = buildTestApp({ BASE_URL: `https://${OUR_HOST}` }, { generateCode: () => `Gen${++seq}xyz` });
});
afterAll(() => t.db.close());

function expectSafe(res: request.Response, ...rawInputs: string[]): void {
  expect(res.status).toBeLessThan(500);
  expect(res.text).not.toMatch(/\n\s+at /);
  for (const raw of rawInputs) {
    if (/[<>"]/.test(raw)) expect(res.text).not.toContain(raw);
  }
}

function postForm(
  body: string | Record<string, string>,
  headers: Record<string, string> = SAME_ORIGIN,
) {
  return request(t.app).post('/shorten').set(headers).type('form').send(body);
}

async function expectRefused(url: string, status = 422): Promise<request.Response> {
  const before = t.countLinks();
  const res = await postForm({ url });
  expect(res.status).toBe(status);
  expect(res.text).toContain('id="url-error"');
  expectSafe(res, url);
  expect(t.countLinks()).toBe(before);
  return res;
}

async function shortenAndFollow(url: string): Promise<string> {
  const res = await postForm({ url });
  expect(res.status).toBe(303);
  const code = t.lastCode()!;
  const follow = await request(t.app).get(`/${code}`).expect(302);
  return follow.headers.location!;
}

describe('BAD-INPUTS rows 1–22: URLs that must be refused with 422 and not stored', () => {
  it.each([
    ['1', 'javascript:alert(document.domain)'],
    ['2', 'JaVaScRiPt:alert(1)'],
    ['3', 'java\tscript:alert(1)'],
    ['4', '\u0001 javascript:alert(1)'],
    ['5', 'data:text/html,<script>alert(1)</script>'],
    ['6', 'file:///etc/passwd'],
    ['7', 'vbscript:msgbox(1)'],
    ['7', 'blob:https://x/1'],
    ['7', 'about:blank'],
    ['7', 'mailto:a@b.c'],
    ['8', 'https://'],
    ['8', 'https://exa mple.com/'],
    ['9', '//evil.example/x'],
    ['11', `https://${OUR_HOST}/abc`],
    ['12', `https://${OUR_HOST.toUpperCase()}./abc`],
    ['12', `https://${OUR_HOST}:443/abc`],
    ['12', `https://user@${OUR_HOST}/abc`],
    ['13', 'https://bit.ly/abc'],
    ['14', 'http://127.0.0.1/'],
    ['14', 'http://2130706433/'],
    ['14', 'http://0x7f.1/'],
    ['14', 'http://127.1/'],
    ['15', 'http://[::1]/'],
    ['15', 'http://[::ffff:127.0.0.1]/'],
    ['15', 'http://10.0.0.1/'],
    ['15', 'http://192.168.1.1/'],
    ['16', 'http://169.254.169.254/latest/meta-data/'],
    ['17', 'http://_api.internal:4280/v1/apps'],
    ['17', 'http://foo.internal/'],
    ['17', 'http://[fdaa::3]/'],
    ['25', 'https://a.example/\r\nSet-Cookie: x=1'],
    ['26', 'https://a.example/\u0000'],
    ['extra', 'http://localhost:8080/'],
    ['extra', 'https://user:pass@example.com/'],
  ])(
    'row %s: when the form sends %j, then it answers 422 and stores nothing',
    async (_row, url) => {
      await expectRefused(url);
    },
  );

  it('row 22: when the URL is one character longer than MAX_URL_LENGTH, then it is refused as too long', async () => {
    const url = `https://a.example/${'a'.repeat(2048 - 'https://a.example/'.length + 1)}`;
    const res = await expectRefused(url);
    expect(res.text).toMatch(/too long/i);
  });
});

describe('BAD-INPUTS rows 10, 18–21, 24, 27–29: URLs that are accepted, stored normalised', () => {
  it('row 10: when the form sends a bare host, then https:// is added', async () => {
    expect(await shortenAndFollow('evil.example')).toBe('https://evil.example/');
  });

  it('row 18: when the host is a public name that resolves to loopback, then it is accepted (snip never fetches)', async () => {
    expect(await shortenAndFollow('http://7f000001.nip.io/')).toBe('http://7f000001.nip.io/');
  });

  it('row 19: when the host has a Cyrillic look-alike, then it is stored in punycode', async () => {
    expect(await shortenAndFollow('https://аpple.com/')).toBe('https://xn--pple-43d.com/');
  });

  it('row 20: when the host is full-width, then it is stored normalised', async () => {
    expect(await shortenAndFollow('https://ａｐｐｌｅ.com/')).toBe('https://apple.com/');
  });

  it('row 21: when the URL is exactly MAX_URL_LENGTH long, then it round-trips byte-exact', async () => {
    const url = `https://a.example/${'a'.repeat(2048 - 'https://a.example/'.length)}`;
    expect(url).toHaveLength(2048);
    expect(await shortenAndFollow(url)).toBe(url);
  });

  it('row 24: when the URL carries an encoded CRLF, then Location keeps it encoded and no header is injected', async () => {
    await postForm({ url: 'https://a.example/%0d%0aSet-Cookie:%20x=1' }).expect(303);
    const follow = await request(t.app).get(`/${t.lastCode()}`).expect(302);
    expect(follow.headers.location!.toUpperCase()).toContain('%0D%0A');
    expect(follow.headers['set-cookie']).toBeUndefined();
  });

  it.each([
    ['27', 'https://a.example/"><script>alert(1)</script>'],
    ['28', 'https://a.example/?q=<img src=x onerror=alert(1)>'],
  ])(
    'row %s: when the URL carries markup, then it is stored and every page shows it escaped',
    async (_row, url) => {
      const res = await postForm({ url }).expect(303);
      const page = await request(t.app).get(res.headers.location!).expect(200);
      expectSafe(page, '<script>', '<img src=x');
      expect(page.headers['content-security-policy']).toContain("script-src 'self'");
    },
  );

  it('row 29: when the URL has an RTL override, then it is stored percent-encoded', async () => {
    expect(await shortenAndFollow('https://a.example/\u202Etxt.exe')).toBe(
      'https://a.example/%E2%80%AEtxt.exe',
    );
  });

  it('row 27 refused variant: when markup is refused, then the re-rendered form escapes it', async () => {
    const res = await expectRefused('javascript:"><script>alert(1)</script>');
    expect(res.text).toContain('&lt;script&gt;');
  });
});

describe('BAD-INPUTS rows 36–38: the parser layer', () => {
  it('row 36: when the form has 1 001 parameters, then it answers 413 and stores nothing', async () => {
    const before = t.countLinks();
    const body =
      Array.from({ length: 1001 }, (_, i) => `f${i}=x`).join('&') +
      '&url=https%3A%2F%2Fa.example%2F';
    const res = await postForm(body);
    expect(res.status).toBe(413);
    expectSafe(res);
    expect(t.countLinks()).toBe(before);
  });

  it('when the form body is larger than the limit, then it answers 413', async () => {
    const res = await postForm({ url: `https://a.example/${'a'.repeat(20_000)}` });
    expect(res.status).toBe(413);
    expectSafe(res);
  });

  it('when the form body has a bogus charset, then it answers 415', async () => {
    const res = await request(t.app)
      .post('/shorten')
      .set(SAME_ORIGIN)
      .set('Content-Type', 'application/x-www-form-urlencoded; charset=BOGUS')
      .send('url=https%3A%2F%2Fa.example%2F');
    expect(res.status).toBe(415);
    expectSafe(res);
  });

  it('when the form body has a bogus Content-Encoding, then it answers 415', async () => {
    const res = await request(t.app)
      .post('/shorten')
      .set(SAME_ORIGIN)
      .set('Content-Type', 'application/x-www-form-urlencoded')
      .set('Content-Encoding', 'bogus')
      .send('url=https%3A%2F%2Fa.example%2F');
    expect(res.status).toBe(415);
    expectSafe(res);
  });

  it.each([
    ['JSON', (r: request.Test) => r.send({ url: 'https://a.example/' })],
    ['a multipart upload', (r: request.Test) => r.field('url', 'https://a.example/')],
    ['plain text', (r: request.Test) => r.type('text/plain').send('https://a.example/')],
  ])(
    'when the form is sent as %s, then it answers 415 saying it takes a form, and stores nothing',
    async (_, send) => {
      const before = t.countLinks();
      const res = await send(request(t.app).post('/shorten').set(SAME_ORIGIN));
      expect(res.status).toBe(415);
      expect(res.text).toContain('This form takes what a browser sends from it');
      expectSafe(res);
      expect(t.countLinks()).toBe(before);
    },
  );

  it.each([
    ['header', (r: request.Test) => r.set('X-Big', 'a'.repeat(20_000))],
    ['path', (r: request.Test) => r],
  ])('row 38: when a 20 KB %s arrives, then Node answers 431', async (kind, decorate) => {
    const path = kind === 'path' ? `/${'a'.repeat(20_000)}` : '/';
    const res = await decorate(request(t.app).get(path));
    expect(res.status).toBe(431);
  });

  it('row 37: when both Content-Length and Transfer-Encoding are sent, then Node answers 400', async () => {
    const server = t.app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    const { port } = server.address() as AddressInfo;
    const raw = await new Promise<string>((resolve, reject) => {
      const socket = net.connect(port, '127.0.0.1', () => {
        socket.write(
          'POST /shorten HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n' +
            'Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n',
        );
      });
      let data = '';
      socket.on('data', (chunk) => (data += chunk.toString()));
      socket.on('end', () => resolve(data));
      socket.on('error', reject);
    });
    server.close();
    expect(raw).toMatch(/^HTTP\/1\.1 400/);
  });
});

describe('BAD-INPUTS rows 39–43: aliases', () => {
  it.each([
    'admin',
    'api',
    'static',
    'healthz',
    'shorten',
    'links',
    'favicon.ico',
    'robots.txt',
    'ADMIN',
  ])('row 39: when the alias is the reserved %j, then it answers 422', async (alias) => {
    const before = t.countLinks();
    const res = await postForm({ url: 'https://a.example/', alias }).expect(422);
    expect(res.text).toContain('id="alias-error"');
    expect(t.countLinks()).toBe(before);
  });

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
    '<b>x</b>',
  ])(
    'rows 40–42: when the alias is %j, then it answers 422 and the value is shown escaped',
    async (alias) => {
      const before = t.countLinks();
      const res = await postForm({ url: 'https://a.example/', alias }).expect(422);
      expect(res.text).toContain('id="alias-error"');
      expectSafe(res, alias);
      expect(t.countLinks()).toBe(before);
    },
  );

  it('row 42: when the alias is empty, then a code is generated', async () => {
    await postForm({ url: 'https://a.example/', alias: '' }).expect(303);
    expect(t.lastCode()).toMatch(/^Gen\d+xyz$/);
  });

  it('row 43: when 10 requests race for the same new alias, then exactly one wins and nine get 409', async () => {
    const results = await Promise.all(
      Array.from({ length: 10 }, () =>
        postForm({ url: 'https://a.example/', alias: 'race-alias' }),
      ),
    );
    const statuses = results.map((r) => r.status).sort();
    expect(statuses.filter((s) => s === 303)).toHaveLength(1);
    expect(statuses.filter((s) => s === 409)).toHaveLength(9);
  });
});

describe('BAD-INPUTS rows 44–49: the redirect path', () => {
  it('row 44: when the code does not exist, then a 404 page without Location', async () => {
    const res = await request(t.app).get('/doesnotexist').expect(404);
    expect(res.headers.location).toBeUndefined();
  });

  it('row 45: when the path has malformed percent-encoding, then it answers 400', async () => {
    const res = await request(t.app).get('/%E0%A4%A');
    expect(res.status).toBe(400);
    expectSafe(res);
  });

  it.each([
    '//evil.example/%2e%2e',
    '/\\evil.example',
    '/abc%00',
    '/abc%2F..%2Fx',
    '/abc%0d%0aX:%20y',
    '/.env',
    '/%2e%2e',
  ])('rows 46–47: when GET %s, then 404 and never a Location', async (path) => {
    const res = await request(t.app).get(path);
    expect(res.status).toBe(404);
    expect(res.headers.location).toBeUndefined();
    expectSafe(res);
  });

  it('row 49: when POST is sent to a code, then it is not a redirect', async () => {
    const created = await postForm({ url: 'https://a.example/post', alias: 'post-me' }).expect(303);
    expect(created.status).toBe(303);
    const res = await request(t.app).post('/post-me').set(SAME_ORIGIN);
    expect([404, 405]).toContain(res.status);
    expect(res.headers.location).toBeUndefined();
  });
});

describe('BAD-INPUTS rows 53–55: cross-site form posts', () => {
  it.each([
    ['53', { 'Sec-Fetch-Site': 'cross-site' }],
    ['54', { Origin: 'https://evil.example' }],
    ['54', { Origin: 'null' }],
    ['55', { 'Sec-Fetch-Site': 'same-site' }],
  ])(
    'row %s: when the form is posted with %j, then 403 and nothing stored',
    async (_row, headers) => {
      const before = t.countLinks();
      const res = await postForm({ url: 'https://a.example/' }, headers as Record<string, string>);
      expect(res.status).toBe(403);
      expectSafe(res);
      expect(t.countLinks()).toBe(before);
    },
  );

  it('when the Origin is snip’s own BASE_URL, then the post is accepted', async () => {
    await postForm({ url: 'https://a.example/' }, { Origin: `https://${OUR_HOST}` }).expect(303);
  });
});
