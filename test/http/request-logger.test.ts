import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import request from 'supertest';
import { afterEach, describe, expect, it } from 'vitest';
import { buildTestApp, SAME_ORIGIN, type TestApp } from '../support/test-app.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

let t: TestApp;
let lines: string[];
afterEach(() => t.db.close());

function setup() {
  lines = [];
  const logger = pino({ level: 'info' }, { write: (line: string) => lines.push(line) });
  t = buildTestApp({}, { logger });
}

/** The request ids the log lines carry. */
const loggedIds = () => lines.map((line) => (JSON.parse(line) as { reqId?: string }).reqId);

describe('request ids', () => {
  it.each([
    ['X-Request-Id', 'proxy-abc-123_4.5'],
    ['Fly-Request-Id', '01JDZ8Q4S1XW3T5H6K7M8N9P0R-ams'],
  ])(
    'when a proxy sends a well-formed %s, then it is reused in the header and the log',
    async (header, id) => {
      setup();
      const res = await request(t.app).get('/').set(header, id).expect(200);
      expect(res.headers['x-request-id']).toBe(id);
      expect(loggedIds()).toEqual([id]);
    },
  );

  it.each([
    ['too short', 'abc'],
    ['too long', 'a'.repeat(129)],
    ['markup', '<script>alert(1)</script>'],
    ['spaces', 'a b c d e f g h'],
    ['quotes', '"deadbeef"'],
    ['a path', '../../etc/passwd'],
    ['non-ASCII', 'réquest-ïd-123'],
    ['empty', ''],
  ])(
    'when the incoming X-Request-Id is %s, then a fresh UUID replaces it everywhere',
    async (_, id) => {
      setup();
      const res = await request(t.app)
        .post('/shorten')
        .set({ ...SAME_ORIGIN, 'X-Request-Id': id })
        .type('form')
        .send({ url: 'javascript:alert(1)' })
        .expect(422);
      expect(res.headers['x-request-id']).toMatch(UUID);
      expect(loggedIds()).toEqual([res.headers['x-request-id']]);
      if (id.length >= 3) expect(lines.join('\n')).not.toContain(id);
    },
  );

  it('when an error page is shown, then it prints the id the response carries, not the one that was sent', async () => {
    setup();
    t.db.close();
    const res = await request(t.app)
      .post('/shorten')
      .set({ ...SAME_ORIGIN, 'X-Request-Id': '<b>not-an-id</b>' })
      .type('form')
      .send({ url: 'https://a.example/' })
      .expect(500);
    expect(res.headers['x-request-id']).toMatch(UUID);
    expect(res.text).toContain(res.headers['x-request-id']);
    expect(res.text).not.toContain('not-an-id');
    t = buildTestApp();
  });
});

/** Waits until the log has `count` lines: a line is written when the response has finished. */
async function waitForLines(count: number): Promise<void> {
  for (let i = 0; i < 100 && lines.length < count; i++) {
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** The paths the log lines carry, in order. */
const loggedPaths = () => lines.map((line) => (JSON.parse(line) as { path?: string }).path);

describe('logged paths', () => {
  it('when a router under a prefix answers, then the log has the whole path, never the query string or a token', async () => {
    lines = [];
    const logger = pino({ level: 'info' }, { write: (line: string) => lines.push(line) });
    t = buildTestApp({ ADMIN_PASSWORD: 'correct horse battery' }, { logger });
    const created = await request(t.app)
      .post('/shorten')
      .set(SAME_ORIGIN)
      .type('form')
      .send({ url: 'https://a.example/', alias: 'logged' })
      .expect(303);
    const token = created.headers.location!.split('/')[2]!.split('?')[0]!;
    lines = [];
    const paths = [
      '/api/v1/links?search=secret-search',
      '/api/v1/links/logged',
      '/api/v2/links?apikey=secret-kutt',
      '/rest/v3/short-urls?apiKey=secret-shlink',
      '/yourls-api.php?action=stats&signature=secret-yourls',
      '/admin/links/logged?done=disabled',
      `/manage/${token}?created=1`,
    ];
    for (const path of paths) await request(t.app).get(path);
    expect(loggedPaths()).toEqual([
      '/api/v1/links',
      '/api/v1/links/logged',
      '/api/v2/links',
      '/rest/v3/short-urls',
      '/yourls-api.php',
      '/admin/links/logged',
      '/manage/:token',
    ]);
    expect(lines.join('\n')).not.toMatch(/secret|created=1/);
    expect(lines.join('\n')).not.toContain(token);
  });
});

describe('logged paths of absolute-form requests', () => {
  it('when the request line names a whole URL, then the log has its path, with the management token redacted', async () => {
    setup();
    const created = await request(t.app)
      .post('/shorten')
      .set(SAME_ORIGIN)
      .type('form')
      .send({ url: 'https://a.example/' })
      .expect(303);
    const token = created.headers.location!.split('/')[2]!.split('?')[0]!;
    lines = [];
    const server = t.app.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const { port } = server.address() as AddressInfo;
    const status = await new Promise<number | undefined>((resolve, reject) => {
      http
        .get(
          { port, host: '127.0.0.1', path: `http://snip.example/manage/${token}?k=v` },
          (res) => {
            res.resume();
            resolve(res.statusCode);
          },
        )
        .on('error', reject);
    });
    server.close();
    expect(status).toBe(200);
    await waitForLines(1);
    expect(loggedPaths()).toEqual(['/manage/:token']);
    expect(lines.join('\n')).not.toContain(token);
  });
});
