import net from 'node:net';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import {
  BAD_LINK_TEXTS,
  sendRawBody,
  BODY_DOORS,
  linesAboveWarn,
  MALFORMED_BODIES,
  MALFORMED_BODY_STATUSES,
  refusedUrlRows,
  sendMalformedBody,
  type DoorContext,
} from '../support/bad-input-rows.js';
import { createApiKey } from '../support/compat-clients.js';
import { buildTestApp, createManagedLink, SAME_ORIGIN, type TestApp } from '../support/test-app.js';

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

/** What a browser that made links sends back: the cookie of the last creation. */
function cookieOf(res: request.Response): string {
  return (res.headers['set-cookie'] as unknown as string[])[0]!.split(';')[0]!;
}

/**
 * Sends raw bytes to the app on a loopback port and returns every byte it answers until it
 * closes the connection: what supertest hides (a HEAD body, pipelined answers).
 */
async function exchangeRaw(text: string): Promise<string> {
  const server = t.app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const { port } = server.address() as AddressInfo;
  try {
    return await new Promise<string>((resolve, reject) => {
      const socket = net.connect(port, '127.0.0.1', () => socket.write(text));
      let data = '';
      socket.on('data', (chunk) => (data += chunk.toString('latin1')));
      socket.on('end', () => resolve(data));
      socket.on('error', reject);
    });
  } finally {
    server.close();
  }
}

/** Status line and headers of one raw response (names lower-cased), and where it ends. */
function parseHead(raw: string, from = 0) {
  const end = raw.indexOf('\r\n\r\n', from);
  const [statusLine = '', ...lines] = raw.slice(from, end).split('\r\n');
  const headers = Object.fromEntries(
    lines.map((line) => {
      const colon = line.indexOf(':');
      return [line.slice(0, colon).toLowerCase(), line.slice(colon + 1).trim()];
    }),
  );
  return { statusLine, headers, bodyStart: end + 4 };
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
    ...refusedUrlRows(OUR_HOST),
    ['extra', 'http://localhost:8080/'],
    ['extra', 'https://user:pass@example.com/'],
  ])(
    'row %s: when the form sends %j, then it answers 422 and stores nothing',
    async (_row, url) => {
      await expectRefused(url);
    },
  );

  it.each([
    ['11', 'https://sn.test/abc'],
    ['12', 'https://SN.TEST./abc'],
    ['12', 'http://sn.test:8080/abc'],
    ['12', 'https://user@sn.test/abc'],
  ])(
    'row %s without BASE_URL: when the form sends %j to snip at that request host, then 422 and nothing stored',
    async (_row, url) => {
      const local = buildTestApp();
      try {
        const res = await request(local.app)
          .post('/shorten')
          .set({ ...SAME_ORIGIN, Host: 'sn.test:8080' })
          .type('form')
          .send({ url })
          .expect(422);
        expect(res.text).toContain('Links to this site');
        expectSafe(res, url);
        expect(local.countLinks()).toBe(0);
      } finally {
        local.db.close();
      }
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

  it('row 19: when a link to a Cyrillic look-alike host is made, then its page, its preview and this browser’s list show the punycode host', async () => {
    const created = await postForm({ url: 'https://аpple.com/' }).expect(303);
    const code = t.lastCode()!;
    const pages = [
      await request(t.app).get(created.headers.location!).expect(200),
      await request(t.app).get(`/${code}+`).expect(200),
      await request(t.app).get('/').set('Cookie', cookieOf(created)).expect(200),
    ];
    for (const page of pages) {
      expectSafe(page);
      expect(page.text).toContain('https://xn--pple-43d.com/');
    }
    // The preview names both spellings, so the look-alike is visible.
    expect(pages[1]!.text).toContain('аpple.com');
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
    [
      '27',
      'https://a.example/"><script>alert(1)</script>',
      '%22%3E%3Cscript%3Ealert(1)%3C/script%3E',
    ],
    [
      '28',
      'https://a.example/?q=<img src=x onerror=alert(1)>',
      '?q=%3Cimg%20src=x%20onerror=alert(1)%3E',
    ],
  ])(
    'row %s: when the URL carries markup, then it is stored encoded and its page, preview and this browser’s list show it escaped under the strict CSP',
    async (_row, url, encoded) => {
      const before = t.countLinks();
      const created = await postForm({ url }).expect(303);
      expect(t.countLinks()).toBe(before + 1);
      const code = t.lastCode()!;
      const follow = await request(t.app).get(`/${code}`).expect(302);
      expect(follow.headers.location).toBe(`https://a.example/${encoded}`);
      const pages = [
        await request(t.app).get(created.headers.location!).expect(200),
        await request(t.app).get(`/${code}+`).expect(200),
        await request(t.app).get('/').set('Cookie', cookieOf(created)).expect(200),
      ];
      for (const page of pages) {
        expectSafe(page, url, '<script>', '<img src=x');
        expect(page.text).toContain(encoded);
        expect(page.headers['content-security-policy']).toContain("script-src 'self'");
      }
    },
  );

  it('row 29: when the URL has an RTL override, then it is stored percent-encoded and every page shows it encoded, never the invisible character', async () => {
    const created = await postForm({ url: 'https://a.example/\u202Etxt.exe' }).expect(303);
    const code = t.lastCode()!;
    await request(t.app)
      .get(`/${code}`)
      .expect(302)
      .expect('Location', 'https://a.example/%E2%80%AEtxt.exe');
    for (const path of [created.headers.location!, `/${code}+`]) {
      const page = await request(t.app).get(path).expect(200);
      expectSafe(page);
      expect(page.text).toContain('https://a.example/%E2%80%AEtxt.exe');
      expect(page.text).not.toContain('\u202E');
    }
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

describe('a link’s title, note and UTM fields', () => {
  it.each(BAD_LINK_TEXTS)(
    'when the form sends a %s with %s, then 422 names the field and nothing is stored',
    async (field, _what, value) => {
      const before = t.countLinks();
      const res = await postForm({ url: 'https://a.example/', [field]: value });
      expect(res.status).toBe(422);
      expect(res.text).toContain(`id="${field}-error"`);
      expectSafe(res, value);
      expect(t.countLinks()).toBe(before);
    },
  );

  it.each(BAD_LINK_TEXTS)(
    'when the management page sends a %s with %s, then 422 names the field and the link is unchanged',
    async (field, _what, value) => {
      const { manage } = await createManagedLink(t.app, `bad-${++seq}`);
      const code = t.lastCode()!;
      const res = await request(t.app)
        .post(manage)
        .set(SAME_ORIGIN)
        .type('form')
        .send({ url: 'https://changed.example/', [field]: value });
      expect(res.status).toBe(422);
      expect(res.text).toContain(`id="${field}-error"`);
      expect(await t.services.links.findLink(code)).toMatchObject({
        target: 'https://a.example/',
        title: null,
        note: null,
      });
    },
  );

  it.each([
    ['a byte', Buffer.from('title=caf\xe9', 'latin1')],
    ['an escape', 'title=caf%E9'],
    ['an escape in the tags', 'tags=caf%E9'],
    ['an escape in the password', 'password=caf%E9'],
    ['an escape in a field’s name', 'titl%E9=cafe'],
  ])(
    'when the form sends %s that is not UTF-8, then 400 says so and nothing is stored',
    async (_what, field) => {
      const before = t.countLinks();
      const res = await sendRawBody(
        request(t.app).post('/shorten'),
        { ...SAME_ORIGIN, 'Content-Type': 'application/x-www-form-urlencoded' },
        Buffer.concat([Buffer.from('url=https%3A%2F%2Fa.example%2F&'), Buffer.from(field)]),
      );
      expect(res.status).toBe(400);
      expect(res.text).toContain('not UTF-8');
      expect(t.countLinks()).toBe(before);
    },
  );

  it('when the form’s text is UTF-8, with escapes, then it is stored as typed', async () => {
    const res = await sendRawBody(
      request(t.app).post('/shorten'),
      { ...SAME_ORIGIN, 'Content-Type': 'application/x-www-form-urlencoded' },
      'url=https%3A%2F%2Fa.example%2F&alias=utf8-ok&title=caf%C3%A9+%E2%9C%93+100%25+sure&tags=caf\u00e9',
    );
    expect(res.status).toBe(303);
    expect(await t.services.links.findLink('utf8-ok')).toMatchObject({
      title: 'café ✓ 100% sure',
    });
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
});

// Row 43 (ten requests racing for one alias) needs two server processes: test/links/alias-race.test.ts.

describe('BAD-INPUTS rows 44–49: the redirect path', () => {
  it('row 44: when the code does not exist, then a 404 page without Location', async () => {
    const before = t.countLinks();
    const res = await request(t.app).get('/doesnotexist').expect(404);
    expect(res.headers.location).toBeUndefined();
    expect(res.text).toContain('No such link');
    expectSafe(res);
    expect(t.countLinks()).toBe(before);
  });

  it('row 45: when the path has malformed percent-encoding, then it answers 400', async () => {
    const res = await request(t.app).get('/%E0%A4%A');
    expect(res.status).toBe(400);
    expectSafe(res);
  });

  it.each([
    ['46', '//evil.example/%2e%2e'],
    ['46', '/\\evil.example'],
    ['47', '/abc%00'],
    ['47', '/abc%2F..%2Fx'],
    ['extra', '/abc%0d%0aX:%20y'],
    ['extra', '/.env'],
    ['extra', '/%2e%2e'],
  ])('row %s: when GET %s, then 404 and never a Location', async (_row, path) => {
    const res = await request(t.app).get(path);
    expect(res.status).toBe(404);
    expect(res.headers.location).toBeUndefined();
    expectSafe(res);
  });

  it('row 49: when HEAD is sent to a code, then it answers GET’s 302 and headers with no body at all', async () => {
    await postForm({ url: 'https://a.example/head', alias: 'head-me' }).expect(303);
    // HEAD, then GET on the same connection: the GET's status line must follow HEAD's head at once.
    const raw = await exchangeRaw(
      'HEAD /head-me HTTP/1.1\r\nHost: snip.example\r\n\r\n' +
        'GET /head-me HTTP/1.1\r\nHost: snip.example\r\nConnection: close\r\n\r\n',
    );
    const head = parseHead(raw);
    const get = parseHead(raw, head.bodyStart);
    expect(head.statusLine).toBe('HTTP/1.1 302 Found');
    expect(raw.indexOf('HTTP/1.1 ', head.bodyStart)).toBe(head.bodyStart);
    expect(get.statusLine).toBe('HTTP/1.1 302 Found');
    expect(raw.slice(get.bodyStart)).toBe('');
    // Only the connection's own headers differ: the GET asked to close it.
    const comparable = ({ headers }: ReturnType<typeof parseHead>) =>
      Object.fromEntries(
        Object.entries(headers).filter(
          ([name]) => !['date', 'x-request-id', 'connection', 'keep-alive'].includes(name),
        ),
      );
    expect(comparable(head)).toEqual(comparable(get));
    expect(head.headers).toMatchObject({
      location: 'https://a.example/head',
      'content-length': '0',
    });
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

  it.each([
    ['53', 'disable', { 'Sec-Fetch-Site': 'cross-site' }],
    ['53', 'delete', { 'Sec-Fetch-Site': 'cross-site' }],
    ['53', '', { 'Sec-Fetch-Site': 'cross-site' }],
    ['54', 'delete', { Origin: 'https://evil.example' }],
    ['55', 'disable', { 'Sec-Fetch-Site': 'same-site' }],
  ])(
    'row %s: when a management POST (%s) is sent with %j, then 403 and the link is unchanged',
    async (_row, action, headers) => {
      const created = await postForm({ url: 'https://a.example/kept' }).expect(303);
      const code = t.lastCode()!;
      const manage = created.headers.location!.replace('?created=1', '');
      const res = await request(t.app)
        .post(action ? `${manage}/${action}` : manage)
        .set(headers as Record<string, string>)
        .type('form')
        .send({ url: 'https://evil.example/' });
      expect(res.status).toBe(403);
      expectSafe(res);
      await request(t.app).get(`/${code}`).expect(302).expect('Location', 'https://a.example/kept');
      await request(t.app).get(manage).expect(200);
    },
  );

  it('when the Origin is snip’s own BASE_URL, then the post is accepted', async () => {
    await postForm({ url: 'https://a.example/' }, { Origin: `https://${OUR_HOST}` }).expect(303);
  });
});

describe('malformed bodies on every door', () => {
  const ADMIN_PASSWORD = 'correct horse battery';

  it.each(BODY_DOORS.map((door) => [door.door, door] as const))(
    '%s: when a body cannot be read, then 400, 413 or 415, nothing above warn in the log, and nothing stored',
    async (_name, door) => {
      const lines: string[] = [];
      const logger = pino({ level: 'debug' }, { write: (line: string) => lines.push(line) });
      const local = buildTestApp({ BASE_URL: `https://${OUR_HOST}`, ADMIN_PASSWORD }, { logger });
      try {
        const { manage } = await createManagedLink(local.app, 'target-link');
        const signIn = await request(local.app)
          .post('/admin/sign-in')
          .set(SAME_ORIGIN)
          .type('form')
          .send({ password: ADMIN_PASSWORD })
          .expect(303);
        await request(local.app)
          .post('/shorten')
          .set(SAME_ORIGIN)
          .type('form')
          .send({ url: 'https://a.example/locked', alias: 'locked-link', password: 'open sesame' })
          .expect(303);
        const context: DoorContext = {
          key: await createApiKey(local),
          code: 'target-link',
          manage,
          adminCookie: (signIn.headers['set-cookie'] as unknown as string[])[0]!.split(';')[0]!,
          locked: 'locked-link',
        };
        for (const body of MALFORMED_BODIES) {
          lines.length = 0;
          const res = await sendMalformedBody(local.app, door, body, context);
          expect(MALFORMED_BODY_STATUSES, `${body.name}: ${res.status} ${res.text}`).toContain(
            res.status,
          );
          expectSafe(res);
          expect(linesAboveWarn(lines), body.name).toEqual([]);
          expect(local.countLinks(), body.name).toBe(2);
        }
        await request(local.app)
          .get('/target-link')
          .expect(302)
          .expect('Location', 'https://a.example/');
        await request(local.app).get('/locked-link').auth('', 'open sesame').expect(302);
      } finally {
        local.db.close();
      }
    },
  );
});
